import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { AppError, ErrorCode } from '../../kernel/errors.js';
import { playsInBrowsers, type AvTool, type Probe } from './media.av.js';
import type { MediaConfig } from './media.config.js';
import type { ImageTool } from './media.images.js';
import type { Sniffed } from './media.sniff.js';
import {
  KIND_IMAGE,
  KIND_VIDEO,
  KIND_VOICE,
  STATUS_PROCESSING,
  STATUS_READY,
  type MediaRow,
} from './media.tables.js';

/** What processing an upload produced: the bytes to store and what to record about them. */
export interface Processed {
  status: number;
  /** The stored file: the upload itself, a cleaned image or transcoded voice. */
  stored: Buffer | { file: string };
  storedName: string;
  mime: string;
  width: number;
  height: number;
  durationMs: number;
  waveform: number[];
  placeholder: string;
  thumbnail?: Buffer;
  poster?: Buffer;
}

/** The blobs of a file's room rendition (media.rooms.ts), stored beside it. */
export const trackKeys = (mediaId: string) => ({
  audio: `m/${mediaId}/track.m4a`,
  cover: `m/${mediaId}/cover.webp`,
  info: `m/${mediaId}/track.json`,
});

/** Every blob a file has (freed with it; absent ones are skipped by the store). */
export const blobKeysOf = (m: MediaRow) => [
  m.blobKey,
  m.thumbKey,
  m.posterKey,
  ...Object.values(trackKeys(m.id)),
];

const POSTER_SIZE = 720;
const COVER_SIZE = 512;

/** SHA-256 of a file, hex. */
export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

const tooLong = (what: string, max: number) =>
  new AppError(ErrorCode.MEDIA_TOO_LARGE, `${what} can be at most ${max} seconds long`, { field: 'file' });

/**
 * The per-kind pipelines, shared by the media service (the quick part, during the upload)
 * and the worker (transcodes and trims in the background). Everything impure is in the
 * injected tools; this is the order of the steps.
 */
export class MediaProcessor {
  constructor(
    private readonly images: ImageTool,
    private readonly av: AvTool,
    private readonly c: MediaConfig,
  ) {}

  async process(file: string, kind: number, s: Sniffed, workDir: string): Promise<Processed> {
    if (kind === KIND_IMAGE) return this.image(file, s);
    if (kind === KIND_VOICE) return this.voice(file, s, workDir);
    if (kind === KIND_VIDEO) return this.video(file, s);
    return { ...blank(), stored: { file }, storedName: 'original', mime: s.mime };
  }

  private async image(file: string, s: Sniffed): Promise<Processed> {
    const img = await this.images.process(file, s.mime);
    return {
      ...blank(),
      stored: img.normalized ?? { file },
      storedName: 'original',
      mime: s.mime,
      width: img.width,
      height: img.height,
      placeholder: img.placeholder,
      thumbnail: img.thumbnail,
    };
  }

  private async voice(file: string, s: Sniffed, workDir: string): Promise<Processed> {
    const out = path.join(workDir, 'voice.ogg');
    const v = await this.av.voice(file, s.demuxer!, out, this.c.voiceBitrateKbps, this.c.maxVoiceSeconds);
    if (v.durationMs === 0) throw unplayable('a voice message needs an audio track');
    // Half a second of slack: recorders stop a little after the 60 s mark.
    if (v.durationMs > this.c.maxVoiceSeconds * 1000 + 500)
      throw tooLong('a voice message', this.c.maxVoiceSeconds);
    return {
      ...blank(),
      stored: { file: out },
      storedName: 'voice.ogg',
      mime: 'audio/ogg; codecs=opus',
      durationMs: v.durationMs,
      waveform: v.waveform,
    };
  }

  private async video(file: string, s: Sniffed): Promise<Processed> {
    const probe = await this.av.probe(file, s.demuxer!);
    if (!probe.video) throw unplayable('a video needs a video track');
    if (probe.durationMs > this.c.maxVideoSeconds * 1000 + 500)
      throw tooLong('a video', this.c.maxVideoSeconds);
    const { poster, placeholder } = await this.poster(file, s.demuxer!, probe);
    const ready = playsInBrowsers(probe);
    return {
      ...blank(),
      status: ready ? STATUS_READY : STATUS_PROCESSING,
      stored: { file },
      storedName: ready ? 'video.mp4' : 'source',
      mime: ready ? 'video/mp4' : s.mime,
      width: probe.video.width,
      height: probe.video.height,
      durationMs: probe.durationMs,
      placeholder,
      poster,
    };
  }

  /** The poster frame: a second in, or the middle of a shorter video. */
  async poster(
    file: string,
    demuxer: string,
    probe: Probe,
  ): Promise<{ poster: Buffer; placeholder: string }> {
    const at = Math.min(1000, Math.floor(probe.durationMs / 2));
    const png = await this.av.frame(file, demuxer, at);
    const { webp, placeholder } = await this.images.poster(png, POSTER_SIZE);
    return { poster: webp, placeholder };
  }

  /** What a song's tags and stream say (quick: no decoding); refuses no audio or too long. */
  async song(file: string, demuxer: string) {
    const probe = await this.av.probe(file, demuxer);
    if (!probe.audio) throw unplayable('a song needs an audio track');
    if (probe.durationMs > this.c.maxTrackSeconds * 1000 + 500)
      throw tooLong('a song', this.c.maxTrackSeconds);
    return probe;
  }

  /**
   * A song for a listening room: AAC-LC M4A, loudness normalised to `lufs`, in `workDir`;
   * title and artist from its tags and its embedded cover (WebP), when it has them.
   */
  async music(file: string, demuxer: string, workDir: string, lufs: number) {
    const probe = await this.song(file, demuxer);
    const out = path.join(workDir, 'track.m4a');
    await this.av.toMusic(file, demuxer, out, lufs);
    const made = await this.av.probe(out, 'mov');
    let cover: Buffer | undefined;
    if (probe.cover) {
      // A broken picture costs the cover, not the song.
      cover = await this.av
        .cover(file, demuxer)
        .then(async (png) => (await this.images.poster(png, COVER_SIZE)).webp)
        .catch(() => undefined);
    }
    return {
      file: out,
      size: (await fsp.stat(out)).size,
      durationMs: made.durationMs || probe.durationMs,
      title: probe.title,
      artist: probe.artist,
      cover,
    };
  }

  /** Transcodes (and optionally cuts) a video to MP4 in `workDir`; what it produced. */
  async toMp4(file: string, demuxer: string, workDir: string, cut?: { startMs: number; endMs: number }) {
    const out = path.join(workDir, 'video.mp4');
    await this.av.toMp4(file, demuxer, out, cut);
    const probe = await this.av.probe(out, 'mov');
    const { poster, placeholder } = await this.poster(out, 'mov', probe);
    const size = (await fsp.stat(out)).size;
    return { file: out, probe, poster, placeholder, size, sha256: await sha256File(out) };
  }
}

function blank(): Omit<Processed, 'stored' | 'storedName' | 'mime'> {
  return { status: STATUS_READY, width: 0, height: 0, durationMs: 0, waveform: [], placeholder: '' };
}

const unplayable = (m: string) => new AppError(ErrorCode.MEDIA_TYPE_NOT_ALLOWED, m, { field: 'file' });
