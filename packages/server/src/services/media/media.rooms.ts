import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { BlobNotFoundError, type BlobStore } from '../../adapters/blob/blob.js';
import type { Clock } from '../../kernel/clock.js';
import type { Logger } from '../../kernel/logger.js';
import { AppError, ErrorCode } from '../../kernel/errors.js';
import type { MediaConfig } from './media.config.js';
import { trackKeys, type MediaProcessor } from './media.processing.js';
import type { MediaRepository } from './media.repository.js';
import { disposition, type MediaService } from './media.service.js';
import { sniff } from './media.sniff.js';
import { KIND_VOICE, type GrantRow, type MediaRow } from './media.tables.js';

/**
 * What holds files for the rooms service: a listen-together room, for the member who added the
 * track (the file's owner). Stored as grants beside the messages' ones: the room in `conv_id`,
 * the owner in `sender_id` and a marker in `client_msg_id` that no client message id can spell
 * ('#'), so a chat grant can never reach a room's track or the other way round.
 */
export interface RoomTrackHolder {
  ownerId: string;
  roomId: string;
}

const ROOM = '#room';

export const roomGrant = (h: RoomTrackHolder, mediaId: string): GrantRow => ({
  mediaId,
  convId: h.roomId,
  senderId: h.ownerId,
  clientMsgId: ROOM,
});

/** Audio a room accepts (it is transcoded once for playing). */
const PLAYABLE = /^audio\/(mpeg|mp4|x-m4a|aac|ogg|flac|wav|webm)\b/;

const KIND_FILE = 4;

/** The loudness every room track is normalised to (EBU R128 integrated, LUFS). */
export const TRACK_LUFS = -16;

/** What a room plays of a file: its transcode, tags and cover, stored beside the file. */
export interface TrackInfo {
  title: string;
  artist: string;
  durationMs: number;
  mime: string;
  cover: boolean;
}

/** A tag as a room shows it: one line, no control characters, at most 200 characters. */
const tagText = (v: string) => [...v.replace(/\p{Cc}+/gu, ' ').trim()].slice(0, 200).join('');

const unplayable = (message = 'this file cannot be played in a room') =>
  new AppError(ErrorCode.ROOM_TRACK_UNPLAYABLE, message, { field: 'mediaId' });

/**
 * The rooms service's tracks. Rooms decides who is a member (and so who may hear a track);
 * media checks that the file is the owner's, ready and audio, transcodes it once for rooms
 * (AAC-LC M4A, loudness normalised, tags and cover read), records that the room holds it so the
 * orphan sweep leaves it alone, and signs URLs for held tracks only.
 */
export class RoomTracks {
  /** Infos read or made, by media id (a bounded cache: they never change). */
  private readonly infos = new Map<string, TrackInfo>();

  constructor(
    private readonly service: MediaService,
    private readonly repo: MediaRepository,
    private readonly d: {
      blob: BlobStore;
      processor: MediaProcessor;
      config: MediaConfig;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  /** Transcodes under way, by media id; they run one at a time (`queue`). */
  private readonly making = new Map<string, Promise<void>>();
  private queue: Promise<void> = Promise.resolve();

  /**
   * Checks the file (the owner's, ready, audio that decodes, not too long), reads its tags and
   * records the hold; the first time, its rendition is made in the background (until it is
   * ready the room plays the file as uploaded).
   */
  async attach(holder: RoomTrackHolder, mediaId: string): Promise<{ media: MediaRow; track: TrackInfo }> {
    const own = await this.service.own(holder.ownerId, mediaId);
    if (!PLAYABLE.test(own.mime)) throw unplayable('only audio files can be played in a room');
    // Checked before the room holds it: a failure leaves nothing to undo.
    const track = (await this.info(mediaId)) ?? (await this.begin(own));
    const g = roomGrant(holder, mediaId);
    const [row] = await this.service.attach({
      senderId: holder.ownerId,
      convId: g.convId,
      clientMsgId: g.clientMsgId,
      mediaIds: [mediaId],
      kind: KIND_FILE,
    });
    return { media: row!, track };
  }

  /** URLs of a held track (its rendition, and its cover when it has one); NOT_FOUND for any other file. */
  async sign(holder: RoomTrackHolder, mediaId: string) {
    const m = await this.service.granted(roomGrant(holder, mediaId));
    const info = await this.info(mediaId);
    // A track added before rooms transcoded: the file as it is.
    if (!info)
      return { ...(await this.service.signForMessage(roomGrant(holder, mediaId), 0, false)), coverUrl: '' };
    const keys = trackKeys(mediaId);
    const ttl = this.d.config.urlTtlSeconds;
    const base = m.name.replace(/\.[^.]*$/, '') || 'track';
    const signed = (key: string, contentType: string, name: string) =>
      this.d.blob.signedUrl(key, {
        expiresInSeconds: ttl,
        contentType,
        disposition: disposition('inline', name),
      });
    const url = await signed(keys.audio, info.mime, `${base}.m4a`);
    const coverUrl = info.cover ? await signed(keys.cover, 'image/webp', `${base}.webp`) : '';
    return { url, coverUrl, expiresAtMs: this.d.clock.now() + ttl * 1000 };
  }

  /** The room lets go of the track; the file is freed when nothing else holds it. */
  async detach(holder: RoomTrackHolder, mediaId: string): Promise<void> {
    await this.repo.removeGrant(roomGrant(holder, mediaId));
    await this.service.freeIfUnused(mediaId);
  }

  /** The rendition's info (it never changes once written), or undefined before the transcode. */
  private async info(mediaId: string): Promise<TrackInfo | undefined> {
    const known = this.infos.get(mediaId);
    if (known) return known;
    let body: Readable;
    try {
      body = await this.d.blob.get(trackKeys(mediaId).info);
    } catch (err) {
      if (err instanceof BlobNotFoundError) return undefined;
      throw err;
    }
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    return this.remember(mediaId, JSON.parse(Buffer.concat(chunks).toString('utf8')) as TrackInfo);
  }

  private remember(mediaId: string, info: TrackInfo): TrackInfo {
    this.infos.set(mediaId, info);
    if (this.infos.size > 5000) this.infos.delete(this.infos.keys().next().value!);
    return info;
  }

  /** Reads the tags (quick), and queues the transcode unless it is under way. */
  private async begin(m: MediaRow): Promise<TrackInfo> {
    const probe = await this.inWorkDir(m, (src, demuxer) => this.d.processor.song(src, demuxer));
    if (!this.making.has(m.id)) {
      const made = this.queue
        .then(() => this.transcode(m))
        .catch((err: unknown) => this.d.logger.warn({ err, media_id: m.id }, 'room track transcode failed'))
        .finally(() => this.making.delete(m.id));
      this.making.set(m.id, made);
      this.queue = made;
    }
    return {
      title: tagText(probe.title),
      artist: tagText(probe.artist),
      durationMs: probe.durationMs,
      mime: m.mime,
      cover: false,
    };
  }

  /** Once per file: the M4A, the cover, then the info that marks them complete. */
  private async transcode(m: MediaRow): Promise<void> {
    const { blob } = this.d;
    const keys = trackKeys(m.id);
    await this.inWorkDir(m, async (src, demuxer, dir) => {
      const out = await this.d.processor.music(src, demuxer, dir, TRACK_LUFS);
      const info: TrackInfo = {
        title: tagText(out.title),
        artist: tagText(out.artist),
        durationMs: out.durationMs,
        mime: 'audio/mp4',
        cover: !!out.cover,
      };
      await blob.put(keys.audio, { file: out.file }, { contentType: info.mime });
      if (out.cover) await blob.put(keys.cover, out.cover, { contentType: 'image/webp' });
      await blob.put(keys.info, Buffer.from(JSON.stringify(info)), { contentType: 'application/json' });
      this.remember(m.id, info);
    });
  }

  /** The file in a temporary directory, for the tools; what cannot be read is ROOM_TRACK_UNPLAYABLE. */
  private async inWorkDir<T>(
    m: MediaRow,
    fn: (src: string, demuxer: string, dir: string) => Promise<T>,
  ): Promise<T> {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'mychat-track-'));
    try {
      const src = path.join(dir, 'source');
      await this.d.blob.download(m.blobKey, src);
      return await sniff(src, KIND_VOICE, false)
        .then((s) => fn(src, s.demuxer!, dir))
        .catch((err: unknown) => {
          if (err instanceof AppError && err.code === ErrorCode.MEDIA_TOO_LARGE) throw err;
          throw unplayable();
        });
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }
}
