import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import { timestampMs, type Timestamp } from '@bufbuild/protobuf/wkt';
import type { Client } from '@connectrpc/connect';
import { media as pb, type message } from '@mychat/protocol';
import { sleep } from './backoff.js';
import type { Authed } from './chat-backend.js';
import { quotaOf } from './drive-api.js';
import { MyChatError } from './errors.js';
import { cancelled, errorFromResponse, fetchFailure, type MediaHttp } from './media-http.js';
import { tusUpload } from './tus-upload.js';
import { fingerprint, type UploadStore } from './upload-store.js';

/** What a file is used as; it decides which bytes the server accepts and how it processes them. */
export type MediaKind = 'image' | 'voice' | 'video' | 'file';
export type MediaStatus = 'processing' | 'ready' | 'failed';
/** ORIGINAL is the file itself; THUMBNAIL (images, WebP 480 px) and POSTER (videos) are derived. */
export type MediaVariant = 'original' | 'thumbnail' | 'poster';

/** A stored file, as the server describes it (plain object). */
export interface Media {
  id: string;
  kind: MediaKind;
  /** Only `ready` files can be sent; `processing` ones (a video being transcoded) become ready later. */
  status: MediaStatus;
  ownerId: string;
  /** Decided by the server from the bytes, never from the name. */
  mime: string;
  size: number;
  /** Hex SHA-256 of the uploaded bytes. */
  sha256: string;
  name: string;
  width: number;
  height: number;
  durationMs: number;
  /** Voice: 64 peaks, 0-100. */
  waveform: number[];
  /** Images and videos: a tiny data: URL to show while the thumbnail loads. */
  placeholder: string;
  hasThumbnail: boolean;
  hasPoster: boolean;
  /** Why processing failed. */
  error: string;
  createdAt: number;
}

export interface UploadOptions {
  /** The file's name (shown to people; the server cleans it). */
  name: string;
  /** The MIME type the app believes (default: the Blob's type); picks `kind` when that is not given. */
  contentType?: string;
  /** Default from the type: image/* image, audio/* voice, video/* video, anything else file. */
  kind?: MediaKind;
  /** Also put the file in this drive folder ("root" for the drive's root). */
  folder?: string;
  /** Bytes the server has, after each step (a resumable upload reports after every chunk). */
  onProgress?: (sent: number, total: number) => void;
  /** Cancels the upload: rejects with CANCELLED, and the server keeps nothing. */
  signal?: AbortSignal;
}

export interface MediaOptions {
  /** Files larger than this go resumable (tus); smaller ones in one request. Default 8 MiB. */
  resumableThresholdBytes?: number;
  /** Bytes per tus PATCH request (progress granularity, and what a dropped connection costs). Default 2 MiB. */
  chunkBytes?: number;
  /** Waits before each retry after a dropped connection; how many is how often. Default 0.5, 1, 2, 4, 8 s. */
  retryDelaysMs?: readonly number[];
}

/** What MediaApi works with (built by MyChatClient). @internal */
export interface MediaContext extends MediaHttp {
  rpc: Client<typeof pb.MediaService>;
  /** MessageService.GetAttachmentUrl: the message service decides who sees a chat's files. */
  attachmentUrl: Client<typeof message.MessageService>['getAttachmentUrl'];
  authed: Authed;
  uploads: UploadStore;
  userId(): Promise<string>;
  options: MediaOptions;
}

const MiB = 1024 * 1024;
const KINDS: Record<number, MediaKind> = {
  [pb.MediaKind.IMAGE]: 'image',
  [pb.MediaKind.VOICE]: 'voice',
  [pb.MediaKind.VIDEO]: 'video',
  [pb.MediaKind.FILE]: 'file',
};
const STATUSES: Record<number, MediaStatus> = {
  [pb.MediaStatus.PROCESSING]: 'processing',
  [pb.MediaStatus.READY]: 'ready',
  [pb.MediaStatus.FAILED]: 'failed',
};
const VARIANTS: Record<MediaVariant, pb.MediaVariant> = {
  original: pb.MediaVariant.ORIGINAL,
  thumbnail: pb.MediaVariant.THUMBNAIL,
  poster: pb.MediaVariant.POSTER,
};

/** The plain form of a protobuf Media. */
export function toMedia(m: pb.Media): Media {
  return {
    id: m.id,
    kind: KINDS[m.kind] ?? 'file',
    status: STATUSES[m.status] ?? 'failed',
    ownerId: m.ownerId,
    mime: m.mime,
    size: Number(m.size),
    sha256: m.sha256,
    name: m.name,
    width: m.width,
    height: m.height,
    durationMs: m.durationMs,
    waveform: [...m.waveform],
    placeholder: m.placeholder,
    hasThumbnail: m.hasThumbnail,
    hasPoster: m.hasPoster,
    error: m.error,
    createdAt: m.createdAt ? timestampMs(m.createdAt) : 0,
  };
}

/** The kind a MIME type suggests. */
export function kindOf(contentType: string): MediaKind {
  if (/^image\/(jpeg|png|webp|gif|avif)$/i.test(contentType)) return 'image';
  if (/^audio\//i.test(contentType)) return 'voice';
  if (/^video\//i.test(contentType)) return 'video';
  return 'file';
}

/** Files: uploads, descriptions, download URLs. Messages that carry them: `client.messages`. */
export class MediaApi {
  /** @internal */
  constructor(private readonly ctx: MediaContext) {}

  /**
   * Uploads a file and resolves with it once the server has checked and processed it. Small
   * files go in one request; larger ones (over `resumableThresholdBytes`) with tus in chunks,
   * resuming by themselves after a dropped connection, and after a restart when the client
   * has a persistent `uploadStore`. Rejects with MyChatError: CANCELLED (the signal fired; the
   * server keeps nothing), QUOTA_EXCEEDED, PAYLOAD_TOO_LARGE, MEDIA_TYPE_NOT_ALLOWED (the bytes
   * are not of that kind), MEDIA_TOO_LARGE (too many pixels, too long), INVALID_ARGUMENT
   * (empty file), NETWORK (still unreachable after the retries; calling again resumes).
   */
  async upload(data: Blob | Uint8Array, options: UploadOptions): Promise<Media> {
    const blob =
      data instanceof Blob
        ? data
        : new Blob([data as Uint8Array<ArrayBuffer>], { type: options.contentType });
    const kind = options.kind ?? kindOf(options.contentType ?? blob.type);
    if (!['image', 'voice', 'video', 'file'].includes(kind))
      throw new MyChatError('kind must be image, voice, video or file', 'INVALID_ARGUMENT', 'kind');
    if (blob.size === 0) throw new MyChatError('the file is empty', 'INVALID_ARGUMENT', 'file');
    if (options.signal?.aborted) throw cancelled();
    const threshold = this.ctx.options.resumableThresholdBytes ?? 8 * MiB;
    if (blob.size <= threshold) return this.uploadOnce(blob, kind, options);
    const fp = await fingerprint(await this.ctx.userId(), blob, `${kind}:${options.name}`);
    const mediaId = await tusUpload({
      http: this.ctx,
      store: this.ctx.uploads,
      fingerprint: fp,
      blob,
      metadata: {
        kind,
        filename: options.name,
        ...(options.folder && { folder: options.folder }),
      },
      chunkBytes: Math.max(64 * 1024, this.ctx.options.chunkBytes ?? 2 * MiB),
      retryDelaysMs: this.ctx.options.retryDelaysMs ?? [500, 1000, 2000, 4000, 8000],
      ...(options.onProgress && { onProgress: options.onProgress }),
      ...(options.signal && { signal: options.signal }),
    });
    return this.get(mediaId);
  }

  /** A file's description (the owner's, or one sent in a conversation the caller can see). */
  async get(mediaId: string): Promise<Media> {
    const r = await this.ctx.authed((h) => this.ctx.rpc.getMedia({ mediaId }, h));
    if (!r.media) throw new MyChatError('the server sent no media', 'UNKNOWN');
    return toMedia(r.media);
  }

  /**
   * A short-lived absolute URL of a file (default the original) for `<img>`, `<audio>`,
   * `<video>` or a download link; no token needed. Ask again once it expires (about 5 minutes).
   * `download: true` makes the browser save it instead of showing it. For a file seen in a
   * chat, name the message that carries it (`conversationId` and `seq`): the message service
   * checks the caller sees that message. Without them only the caller's own files (the drive).
   */
  async downloadUrl(
    mediaId: string,
    opts: { variant?: MediaVariant; download?: boolean; conversationId?: string; seq?: number } = {},
  ): Promise<{ url: string; expiresAt: number }> {
    const req = { mediaId, variant: VARIANTS[opts.variant ?? 'original'], download: opts.download ?? false };
    const { conversationId, seq } = opts;
    const r = await this.ctx.authed<{ url: string; expiresAt?: Timestamp }>((h) =>
      conversationId && seq
        ? this.ctx.attachmentUrl({ ...req, conversationId, seq }, h)
        : this.ctx.rpc.getDownloadUrl(req, h),
    );
    return {
      url: new URL(r.url, this.ctx.baseUrl + '/').toString(),
      expiresAt: r.expiresAt ? timestampMs(r.expiresAt) : 0,
    };
  }

  /**
   * Cuts the caller's video to `startMs`..`endMs` on the server: resolves with the new file,
   * `processing` until the cut is done ({@link whenReady}); the original stays as it was.
   */
  async trimVideo(mediaId: string, startMs: number, endMs: number): Promise<Media> {
    const req = { mediaId, startMs: Math.round(startMs), endMs: Math.round(endMs) };
    const r = await this.ctx.authed((h) => this.ctx.rpc.trimVideo(req, h));
    if (!r.media) throw new MyChatError('the server sent no media', 'UNKNOWN');
    return toMedia(r.media);
  }

  /**
   * Waits until a file is processed (a video being transcoded, a trim) and resolves with it
   * once `ready`. Rejects with MEDIA_NOT_READY when processing failed, CANCELLED on the signal.
   */
  async whenReady(mediaId: string, opts: { signal?: AbortSignal; intervalMs?: number } = {}): Promise<Media> {
    for (;;) {
      if (opts.signal?.aborted) throw cancelled();
      const m = await this.get(mediaId);
      if (m.status === 'ready') return m;
      if (m.status === 'failed')
        throw new MyChatError(m.error || 'the file could not be processed', 'MEDIA_NOT_READY', 'mediaId');
      await sleep(opts.intervalMs ?? 1000, opts.signal).catch(() => undefined);
    }
  }

  /** Bytes the caller's files take, and the limit. */
  async quota(): Promise<{ usedBytes: number; limitBytes: number }> {
    // The same call as drive.quota(): one place maps the reply.
    return quotaOf(this.ctx.rpc, this.ctx.authed);
  }

  private async uploadOnce(blob: Blob, kind: MediaKind, o: UploadOptions): Promise<Media> {
    const q = new URLSearchParams({ kind, name: o.name, ...(o.folder && { folder: o.folder }) });
    o.onProgress?.(0, blob.size);
    let res: Response;
    try {
      res = await this.ctx.fetch(`${this.ctx.baseUrl}/media/v1/upload?${q}`, {
        method: 'POST',
        body: blob,
        headers: { authorization: `Bearer ${await this.ctx.token()}` },
        ...(o.signal && { signal: o.signal }),
      });
    } catch (err) {
      // Cut off mid-body, the server keeps nothing: a retry starts over (the file is small).
      throw fetchFailure(err, o.signal);
    }
    if (res.status !== 201) throw await errorFromResponse(res);
    const body = (await res.json()) as { media?: JsonValue };
    if (!body.media) throw new MyChatError('the server sent no media', 'PROTOCOL');
    o.onProgress?.(blob.size, blob.size);
    return toMedia(fromJson(pb.MediaSchema, body.media, { ignoreUnknownFields: true }));
  }
}
