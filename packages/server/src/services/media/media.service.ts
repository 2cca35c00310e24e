import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { BlobNotFoundError, type BlobStore } from '../../adapters/blob/blob.js';
import type { Kv } from '../../adapters/kv/kv.js';
import type { Clock } from '../../kernel/clock.js';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import { parseId, type IdGenerator } from '../../kernel/ids.js';
import type { MediaConfig } from './media.config.js';
import type { JobQueue } from './media.jobs.js';
import { blobKeysOf, sha256File, type MediaProcessor } from './media.processing.js';
import type { MediaRepository } from './media.repository.js';
import type { UploadReservations } from './media.reservations.js';
import { cleanName, sniff } from './media.sniff.js';
import {
  KIND_FILE,
  KIND_IMAGE,
  KIND_VIDEO,
  KIND_VOICE,
  STATUS_PROCESSING,
  STATUS_READY,
  type GrantRow,
  type MediaRow,
} from './media.tables.js';

/** Variants of a file a client can download (mychat.media.v1.MediaVariant). */
export const VARIANT_ORIGINAL = 0;
export const VARIANT_THUMBNAIL = 1;
export const VARIANT_POSTER = 2;

export interface MediaServiceDeps {
  repo: MediaRepository;
  queue: JobQueue;
  blob: BlobStore;
  /** Per-user upload counters (the rate limit). */
  kv: Kv;
  processor: MediaProcessor;
  /** Bytes held for unfinished resumable uploads (counted against the quota). */
  reservations: UploadReservations;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
  config: MediaConfig;
  /** Called with the seconds each upload's processing took (thumbnails, transcodes), by kind. */
  onProcessed?(kind: number, seconds: number): void;
  /** Puts a finished upload into the owner's drive (the drive service). */
  addToDrive?(ownerId: string, mediaId: string, folderId: string, name: string): Promise<unknown>;
}

export interface FinalizeInput {
  ownerId: string;
  kind: number;
  stagingKey: string;
  name: string;
  uploadId: string;
  folderId: string;
}

/** The bytes allowed for one upload of a kind. */
export function maxBytesFor(c: MediaConfig, kind: number): number {
  return kind === KIND_IMAGE
    ? c.maxImageBytes
    : kind === KIND_VOICE
      ? c.maxVoiceBytes
      : kind === KIND_VIDEO
        ? c.maxVideoBytes
        : c.maxFileBytes;
}

/** A Content-Disposition value with an ASCII fallback and the UTF-8 name (RFC 6266). */
export function disposition(type: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_');
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * Stored files: turning staged uploads into checked, processed files (type by magic bytes,
 * SHA-256, one copy per owner, quota), deciding who may download what, and attaching files
 * to messages. Bytes arrive through the blob store, never through RPC.
 */
export class MediaService {
  constructor(private readonly d: MediaServiceDeps) {}

  /** Before an upload's bytes are read: upload rate, size limit, quota. With `reserveId` (tus)
   * the size stays reserved until finalized, released or expired; open uploads are capped. */
  async checkUpload(ownerId: string, kind: number, size: number, reserveId = ''): Promise<void> {
    const minute = Math.floor(this.d.clock.now() / 60_000);
    const started = await this.d.kv.incr(`media:uploads:${ownerId}:${minute}`, { ttlMs: 61_000 });
    if (started > this.d.config.uploadsPerMinute) {
      throw errors.rateLimited(
        60 - ((this.d.clock.now() / 1000) % 60),
        'you are uploading too fast; slow down',
      );
    }
    if (!reserveId) return this.admit(ownerId, kind, size);
    await this.d.reservations.reserve(ownerId, reserveId, size, (reserved) =>
      this.admit(ownerId, kind, size, reserved),
    );
  }

  /** Frees a resumable upload's reservation (deleted by its owner). */
  release(ownerId: string, uploadId: string): Promise<void> {
    return this.d.reservations.release(ownerId, uploadId);
  }

  /** Whether `size` more bytes fit; `reserved`: bytes held for other unfinished uploads. */
  private async admit(ownerId: string, kind: number, size: number, reserved?: number): Promise<void> {
    if (![KIND_IMAGE, KIND_VOICE, KIND_VIDEO, KIND_FILE].includes(kind))
      throw errors.invalidArgument('kind must be image, voice, video or file', 'kind');
    const max = maxBytesFor(this.d.config, kind);
    if (size > max) {
      throw new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `this kind of file can be at most ${max} bytes`, {
        field: 'size',
      });
    }
    const used = await this.d.repo.usedBytes(ownerId);
    const held = reserved ?? (await this.d.reservations.reservedBytes(ownerId));
    if (used + held + size > this.d.config.quotaBytes) {
      throw new AppError(
        ErrorCode.QUOTA_EXCEEDED,
        `your storage is full (${used} of ${this.d.config.quotaBytes} bytes used` +
          (held ? `, ${held} held for unfinished uploads)` : ')'),
        { field: 'size' },
      );
    }
  }

  async finalize(input: FinalizeInput): Promise<MediaRow> {
    const { repo, blob } = this.d;
    const prior = await repo.uploadResult(input.uploadId);
    if (prior) {
      await blob.delete(input.stagingKey).catch(() => undefined);
      const m = await repo.media(prior);
      if (m && m.ownerId === input.ownerId) return m;
      throw errors.notFound('no such upload');
    }
    const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'mychat-media-'));
    try {
      const file = path.join(work, 'upload');
      await blob.download(input.stagingKey, file).catch((e: unknown) => {
        throw e instanceof BlobNotFoundError ? errors.notFound('the upload is gone; upload again') : e;
      });
      const size = (await fsp.stat(file)).size;
      if (size === 0) throw errors.invalidArgument('the file is empty', 'file');
      // Its own reservation is what makes room for it, so it is not counted twice.
      const held = await this.d.reservations.reservedBytes(input.ownerId, input.uploadId);
      await this.admit(input.ownerId, input.kind, size, held);
      const sniffed = await sniff(file, input.kind, this.d.config.allowExecutables);
      const sha256 = await sha256File(file);
      const name = cleanName(input.name);
      let media = await repo.bySha(input.ownerId, sha256, input.kind);
      if (!media) media = await this.store(input, file, sniffed, sha256, size, name, work);
      if (!(await repo.recordUpload(input.uploadId, media.id, this.d.clock.now()))) {
        const other = await repo.uploadResult(input.uploadId);
        if (other) media = (await repo.media(other)) ?? media;
      }
      if (input.folderId && this.d.addToDrive)
        await this.d.addToDrive(input.ownerId, media.id, input.folderId, name);
      return media;
    } catch (err) {
      // The client gets the stable code; the operator gets the decoder's reason.
      if (err instanceof AppError && err.code === ErrorCode.MEDIA_CORRUPT) {
        this.d.logger.info(
          {
            ownerId: input.ownerId,
            kind: input.kind,
            cause: String((err.cause as Error)?.message ?? err.cause),
          },
          'upload refused: the file cannot be decoded',
        );
      }
      throw err;
    } finally {
      // Stored or refused, the upload is over: its bytes are counted as used or not at all.
      await this.d.reservations
        .release(input.ownerId, input.uploadId)
        .catch((err: unknown) => this.d.logger.warn({ err }, 'upload reservation not released'));
      await blob
        .delete(input.stagingKey)
        .catch((err: unknown) =>
          this.d.logger.warn({ err, key: input.stagingKey }, 'staged upload not deleted'),
        );
      await fsp.rm(work, { recursive: true, force: true });
    }
  }

  private async store(
    input: FinalizeInput,
    file: string,
    sniffed: Awaited<ReturnType<typeof sniff>>,
    sha256: string,
    uploadSize: number,
    name: string,
    work: string,
  ): Promise<MediaRow> {
    const { blob } = this.d;
    const started = performance.now();
    const p = await this.d.processor.process(file, input.kind, sniffed, work);
    this.d.onProcessed?.(input.kind, (performance.now() - started) / 1000);
    const id = this.d.ids.next();
    const key = `m/${id}/${p.storedName}`;
    const put = await blob.put(key, p.stored, { contentType: p.mime });
    const thumbKey = p.thumbnail ? `m/${id}/thumb.webp` : null;
    const posterKey = p.poster ? `m/${id}/poster.webp` : null;
    if (p.thumbnail) await blob.put(thumbKey!, p.thumbnail, { contentType: 'image/webp' });
    if (p.poster) await blob.put(posterKey!, p.poster, { contentType: 'image/webp' });
    const row: MediaRow = {
      id,
      ownerId: input.ownerId,
      kind: input.kind,
      status: p.status,
      mime: p.mime,
      size: put.size || uploadSize,
      sha256,
      name,
      blobKey: key,
      thumbKey,
      posterKey,
      width: p.width,
      height: p.height,
      durationMs: p.durationMs,
      waveform: p.waveform,
      placeholder: p.placeholder,
      error: '',
      createdAt: this.d.clock.now(),
    };
    await this.d.repo.insertMedia(row, row.createdAt);
    if (p.status === STATUS_PROCESSING) await this.d.queue.enqueue('transcode', id);
    return row;
  }

  /**
   * The file if `userId` owns it. Who else may see a file is the message service's decision
   * (it knows the conversations); it asks for URLs through signForMessage.
   */
  async own(userId: string, mediaId: string): Promise<MediaRow> {
    parseId(mediaId, 'mediaId');
    const m = await this.d.repo.media(mediaId);
    if (!m) throw errors.notFound('no such file');
    if (m.ownerId !== userId) throw errors.permissionDenied('this is not your file');
    return m;
  }

  /** The file a message was granted (AttachMedia recorded it), or NOT_FOUND. */
  async granted(grant: GrantRow): Promise<MediaRow> {
    const m = (await this.d.repo.hasGrant(grant)) ? await this.d.repo.media(grant.mediaId) : undefined;
    if (!m) throw errors.notFound('no such file in this message');
    return m;
  }

  async downloadUrl(userId: string, mediaId: string, variant: number, download: boolean) {
    return this.sign(await this.own(userId, mediaId), variant, download);
  }

  /** A URL for a file a message carries, once message decided the user sees it. The grant must
   * match the message exactly (AttachMedia), so no file is reached through another message. */
  async signForMessage(grant: GrantRow, variant: number, download: boolean) {
    return this.sign(await this.granted(grant), variant, download);
  }

  private async sign(m: MediaRow, variant: number, download: boolean) {
    let key: string | null;
    let type = 'image/webp';
    if (variant === VARIANT_THUMBNAIL) key = m.thumbKey;
    else if (variant === VARIANT_POSTER) key = m.posterKey;
    else {
      if (m.status !== STATUS_READY)
        throw new AppError(ErrorCode.MEDIA_NOT_READY, 'the file is still being processed');
      key = m.blobKey;
      type = m.mime;
    }
    if (!key) throw errors.notFound('this file has no such variant');
    // Only media a browser renders safely is shown inline; everything else is a download.
    const inline = !download && m.kind !== KIND_FILE && /^(image|audio|video)\//.test(type);
    const name = variant === VARIANT_ORIGINAL ? m.name : `${m.name.replace(/\.[^.]*$/, '')}.webp`;
    const ttl = this.d.config.urlTtlSeconds;
    const url = await this.d.blob.signedUrl(key, {
      expiresInSeconds: ttl,
      contentType: type,
      disposition: disposition(inline ? 'inline' : 'attachment', name),
    });
    return { url, expiresAtMs: this.d.clock.now() + ttl * 1000 };
  }

  async usage(userId: string) {
    const { repo, config } = this.d;
    const [usedBytes, driveBytes] = await Promise.all([repo.usedBytes(userId), repo.driveBytes(userId)]);
    return { usedBytes, driveBytes, limitBytes: config.quotaBytes };
  }

  /**
   * Checks files for a message and records that the message grants access to them. Each
   * file must be ready and of the message's kind (a file message may carry any kind), and
   * the sender's own or one granted to the message it is forwarded from (`via`, which the
   * message service checked the sender sees): forwarding reuses the stored file.
   */
  async attach(input: {
    senderId: string;
    convId: string;
    clientMsgId: string;
    mediaIds: string[];
    kind: number;
    via?: Omit<GrantRow, 'mediaId'>;
  }): Promise<MediaRow[]> {
    const out: MediaRow[] = [];
    for (const id of input.mediaIds) {
      parseId(id, 'mediaIds');
      const row = await this.d.repo.media(id);
      if (!row) throw errors.notFound('no such file');
      const m =
        row.ownerId === input.senderId ||
        (input.via && (await this.d.repo.hasGrant({ ...input.via, mediaId: id })))
          ? row
          : undefined;
      if (!m)
        throw errors.permissionDenied('you can send only your own files or files of a message you forward');
      if (input.kind !== KIND_FILE && m.kind !== input.kind)
        throw errors.invalidArgument('a file is not of the message type', 'content');
      if (m.status !== STATUS_READY)
        throw new AppError(ErrorCode.MEDIA_NOT_READY, 'a file is still being processed; send it when ready');
      out.push(m);
    }
    const now = this.d.clock.now();
    for (const m of out) {
      await this.d.repo.addGrant(
        { mediaId: m.id, convId: input.convId, senderId: input.senderId, clientMsgId: input.clientMsgId },
        now,
      );
    }
    return out;
  }

  /** Starts cutting a video the caller owns; the new file is PROCESSING until the worker is done. */
  async trim(userId: string, mediaId: string, startMs: number, endMs: number): Promise<MediaRow> {
    const src = await this.own(userId, mediaId).catch((e: unknown) => {
      throw e instanceof AppError && e.code === ErrorCode.PERMISSION_DENIED
        ? errors.permissionDenied('you can trim only your own videos')
        : e;
    });
    if (src.kind !== KIND_VIDEO) throw errors.invalidArgument('only videos can be trimmed', 'mediaId');
    if (src.status !== STATUS_READY) throw new AppError(ErrorCode.MEDIA_NOT_READY, 'the video is not ready');
    if (startMs < 0 || endMs <= startMs || endMs > src.durationMs + 50 || endMs - startMs < 200)
      throw errors.invalidArgument('choose 0 <= start < end <= the duration, at least 0.2 s apart', 'endMs');
    await this.admit(
      userId,
      KIND_VIDEO,
      Math.ceil((src.size * (endMs - startMs)) / Math.max(1, src.durationMs)),
    );
    const id = this.d.ids.next();
    const now = this.d.clock.now();
    const row: MediaRow = {
      ...src,
      id,
      status: STATUS_PROCESSING,
      size: 0,
      sha256: '',
      name: `${src.name.replace(/\.[^.]*$/, '')}-trim.mp4`,
      blobKey: `m/${id}/video.mp4`,
      thumbKey: null,
      posterKey: null,
      durationMs: endMs - startMs,
      createdAt: now,
    };
    await this.d.repo.insertMedia(row, now);
    await this.d.queue.enqueue('trim', id, { sourceId: src.id, startMs, endMs });
    return row;
  }

  /**
   * The caller's own file with the contents of `m` (a file they can see): `m` itself when it
   * is theirs, their earlier copy of the same bytes, or a new copy (the bytes copied inside
   * the blob store, counted against their quota). Keeping someone else's file in My files
   * goes through here: the copy stays when the sender deletes theirs.
   */
  async ownCopy(userId: string, m: MediaRow): Promise<MediaRow> {
    if (m.ownerId === userId) return m;
    if (m.status !== STATUS_READY)
      throw new AppError(ErrorCode.MEDIA_NOT_READY, 'the file is still being processed');
    const mine = await this.d.repo.bySha(userId, m.sha256, m.kind);
    if (mine && mine.status === STATUS_READY) return mine;
    await this.admit(userId, m.kind, m.size);
    const id = this.d.ids.next();
    const renamed = (key: string | null) => (key ? `m/${id}/${key.slice(key.lastIndexOf('/') + 1)}` : null);
    const row: MediaRow = {
      ...m,
      id,
      ownerId: userId,
      blobKey: renamed(m.blobKey)!,
      thumbKey: renamed(m.thumbKey),
      posterKey: renamed(m.posterKey),
      createdAt: this.d.clock.now(),
    };
    const copied: string[] = [];
    try {
      for (const [from, to] of [
        [m.blobKey, row.blobKey],
        [m.thumbKey, row.thumbKey],
        [m.posterKey, row.posterKey],
      ] as const) {
        if (!from || !to) continue;
        await this.d.blob.copy(from, to).catch((e: unknown) => {
          throw e instanceof BlobNotFoundError ? errors.notFound('the file is gone') : e;
        });
        copied.push(to);
      }
      await this.d.repo.insertMedia(row, row.createdAt);
    } catch (err) {
      for (const k of copied) await this.d.blob.delete(k).catch(() => undefined);
      throw err;
    }
    return row;
  }

  /** Frees a file's bytes when nothing uses it any more. */
  async freeIfUnused(mediaId: string): Promise<boolean> {
    const m = await this.d.repo.media(mediaId);
    if (!m || (await this.d.repo.inUse(mediaId))) return false;
    await this.d.repo.markDeleted(mediaId, this.d.clock.now());
    for (const k of blobKeysOf(m)) if (k) await this.d.blob.delete(k);
    return true;
  }
}
