import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BlobStore } from '../../adapters/blob/blob.js';
import type { Clock } from '../../kernel/clock.js';
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

const unplayable = (message = 'this file cannot be played in a room') =>
  new AppError(ErrorCode.ROOM_TRACK_UNPLAYABLE, message, { field: 'mediaId' });

/**
 * The rooms service's tracks. Rooms decides who is a member (and so who may hear a track);
 * media checks that the file is the owner's, ready and audio, transcodes it once for rooms
 * (AAC-LC M4A, loudness normalised, tags and cover read), records that the room holds it so the
 * orphan sweep leaves it alone, and signs URLs for held tracks only.
 */
export class RoomTracks {
  constructor(
    private readonly service: MediaService,
    private readonly repo: MediaRepository,
    private readonly d: {
      blob: BlobStore;
      processor: MediaProcessor;
      config: MediaConfig;
      clock: Clock;
    },
  ) {}

  /** Checks the file (the owner's, ready, audio), makes its rendition and records the hold. */
  async attach(holder: RoomTrackHolder, mediaId: string): Promise<{ media: MediaRow; track: TrackInfo }> {
    const own = await this.service.own(holder.ownerId, mediaId);
    if (!PLAYABLE.test(own.mime)) throw unplayable('only audio files can be played in a room');
    // Checked and transcoded before the room holds it: a failure leaves nothing to undo.
    const track = (await this.info(mediaId)) ?? (await this.transcode(own));
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
    if (!info) return { ...(await this.service.signForMessage(roomGrant(holder, mediaId), 0, false)), coverUrl: '' };
    const keys = trackKeys(mediaId);
    const ttl = this.d.config.urlTtlSeconds;
    const base = m.name.replace(/\.[^.]*$/, '') || 'track';
    const url = await this.d.blob.signedUrl(keys.audio, {
      expiresInSeconds: ttl,
      contentType: info.mime,
      disposition: disposition('inline', `${base}.m4a`),
    });
    const coverUrl = info.cover
      ? await this.d.blob.signedUrl(keys.cover, {
          expiresInSeconds: ttl,
          contentType: 'image/webp',
          disposition: disposition('inline', `${base}.webp`),
        })
      : '';
    return { url, coverUrl, expiresAtMs: this.d.clock.now() + ttl * 1000 };
  }

  /** The room lets go of the track; the file is freed when nothing else holds it. */
  async detach(holder: RoomTrackHolder, mediaId: string): Promise<void> {
    await this.repo.removeGrant(roomGrant(holder, mediaId));
    await this.service.freeIfUnused(mediaId);
  }

  private async info(mediaId: string): Promise<TrackInfo | undefined> {
    const key = trackKeys(mediaId).info;
    if (!(await this.d.blob.stat(key))) return undefined;
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'mychat-track-'));
    try {
      await this.d.blob.download(key, path.join(dir, 'info'));
      return JSON.parse(await fsp.readFile(path.join(dir, 'info'), 'utf8')) as TrackInfo;
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }

  /** Once per file: the M4A, the cover, then the info that marks them complete. */
  private async transcode(m: MediaRow): Promise<TrackInfo> {
    const { blob, processor } = this.d;
    const keys = trackKeys(m.id);
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'mychat-track-'));
    try {
      const src = path.join(dir, 'source');
      await blob.download(m.blobKey, src);
      const out = await sniff(src, KIND_VOICE, false)
        .then((s) => processor.music(src, s.demuxer!, dir, TRACK_LUFS))
        .catch((err: unknown) => {
          if (err instanceof AppError && err.code === ErrorCode.MEDIA_TOO_LARGE) throw err;
          throw unplayable();
        });
      const info: TrackInfo = {
        title: out.title.slice(0, 200),
        artist: out.artist.slice(0, 200),
        durationMs: out.durationMs,
        mime: 'audio/mp4',
        cover: !!out.cover,
      };
      await blob.put(keys.audio, { file: out.file }, { contentType: info.mime });
      if (out.cover) await blob.put(keys.cover, out.cover, { contentType: 'image/webp' });
      await blob.put(keys.info, Buffer.from(JSON.stringify(info)), { contentType: 'application/json' });
      return info;
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }
}
