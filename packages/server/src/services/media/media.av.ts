import { spawn } from 'node:child_process';
import { AppError, ErrorCode } from '../../kernel/errors.js';

/** What ffprobe found in a file. */
export interface Probe {
  formatName: string;
  durationMs: number;
  video?: { codec: string; width: number; height: number; pixFmt: string; rotation: number };
  audio?: { codec: string };
  /** Tags of the file (or of its audio stream): what a music player shows. */
  title: string;
  artist: string;
  /** An embedded picture (an album cover). */
  cover: boolean;
}

type Tags = Record<string, string | undefined>;

/** A tag whatever its case (ID3 through ffprobe: `title`; Vorbis comments: `TITLE`). */
const tag = (name: string, ...all: (Tags | undefined)[]) => {
  for (const t of all)
    for (const [k, v] of Object.entries(t ?? {})) if (k.toLowerCase() === name && v?.trim()) return v.trim();
  return '';
};

interface FfprobeJson {
  format?: { format_name?: string; duration?: string; tags?: Tags };
  streams?: {
    codec_type?: string;
    disposition?: { attached_pic?: number };
    codec_name?: string;
    width?: number;
    height?: number;
    pix_fmt?: string;
    tags?: Tags;
    side_data_list?: { rotation?: number }[];
  }[];
}

const unreadable = () =>
  new AppError(ErrorCode.MEDIA_TYPE_NOT_ALLOWED, 'the file cannot be read as audio or video', {
    field: 'file',
  });

/**
 * ffmpeg and ffprobe (Debian's, at /usr/bin by default) run as child processes with a
 * deadline. Inputs are always local files opened with a forced demuxer, and only the
 * `file` protocol is allowed, so a crafted upload cannot make ffmpeg read playlists,
 * other local files or the network.
 */
export class AvTool {
  constructor(private readonly o: { ffmpeg?: string; ffprobe?: string; timeoutMs: number }) {}

  private run(bin: string, args: string[], stdoutLimit = 64 * 1024 * 1024): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let outBytes = 0;
      let err = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), this.o.timeoutMs);
      child.stdout.on('data', (c: Buffer) => {
        outBytes += c.length;
        if (outBytes > stdoutLimit) child.kill('SIGKILL');
        else out.push(c);
      });
      child.stderr.on('data', (c: Buffer) => {
        err = (err + c.toString()).slice(-2000);
      });
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (code === 0) resolve(Buffer.concat(out));
        else
          reject(
            new Error(
              `${bin} exited with ${code ?? signal}: ${err.trim().split('\n').slice(-3).join(' | ')}`,
            ),
          );
      });
    });
  }

  private ffmpeg(args: string[], stdoutLimit?: number) {
    return this.run(
      this.o.ffmpeg ?? '/usr/bin/ffmpeg',
      ['-nostdin', '-hide_banner', '-loglevel', 'error', '-protocol_whitelist', 'file,pipe', ...args],
      stdoutLimit,
    );
  }

  async probe(file: string, demuxer: string): Promise<Probe> {
    let json: FfprobeJson;
    try {
      const out = await this.run(this.o.ffprobe ?? '/usr/bin/ffprobe', [
        '-v',
        'error',
        '-protocol_whitelist',
        'file',
        '-f',
        demuxer,
        '-show_format',
        '-show_streams',
        '-of',
        'json',
        file,
      ]);
      json = JSON.parse(out.toString('utf8')) as FfprobeJson;
    } catch {
      throw unreadable();
    }
    const v = json.streams?.find((s) => s.codec_type === 'video' && s.width && !s.disposition?.attached_pic);
    const a = json.streams?.find((s) => s.codec_type === 'audio');
    const rotation =
      Math.abs(
        Number(v?.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? v?.tags?.rotate ?? 0),
      ) % 180;
    return {
      formatName: json.format?.format_name ?? '',
      durationMs: Math.round(Number(json.format?.duration ?? 0) * 1000) || 0,
      ...(v && {
        video: {
          codec: v.codec_name ?? '',
          // A phone video recorded upright is stored sideways with a rotation: report it as shown.
          width: rotation === 90 ? (v.height ?? 0) : (v.width ?? 0),
          height: rotation === 90 ? (v.width ?? 0) : (v.height ?? 0),
          pixFmt: v.pix_fmt ?? '',
          rotation,
        },
      }),
      ...(a && { audio: { codec: a.codec_name ?? '' } }),
      title: tag('title', json.format?.tags, a?.tags),
      artist: tag('artist', json.format?.tags, a?.tags) || tag('album_artist', json.format?.tags),
      cover: !!json.streams?.some((s) => s.codec_type === 'video' && s.disposition?.attached_pic),
    };
  }

  /**
   * Any audio to mono Opus in Ogg at `kbps`, in one ffmpeg run that also decodes 8 kHz PCM
   * for the duration and the waveform (process start-up dominates short clips). At most
   * `maxSeconds + 1` seconds are read, so an over-long upload costs little to refuse.
   */
  async voice(input: string, demuxer: string, output: string, kbps: number, maxSeconds: number) {
    const limit = String(maxSeconds + 1);
    const pcm = await this.ffmpeg(
      // prettier-ignore
      [
        '-f', demuxer, '-i', input,
        '-map', '0:a:0', '-map_metadata', '-1', '-t', limit, '-ac', '1', '-ar', '48000',
        '-c:a', 'libopus', '-b:a', `${kbps}k`, '-application', 'voip', '-f', 'ogg', '-y', output,
        '-map', '0:a:0', '-t', limit, '-ac', '1', '-ar', '8000', '-f', 's16le', 'pipe:1',
      ],
    ).catch(() => {
      throw unreadable();
    });
    const samples = Math.floor(pcm.length / 2);
    return { durationMs: Math.round(samples / 8), waveform: peaks(pcm, samples, 64) };
  }

  /**
   * Music for a listening room: the first audio stream as AAC-LC in M4A (every browser streams
   * it, Safari too), 44.1 kHz stereo at 160 kb/s, loudness normalised to `lufs` (EBU R128,
   * ffmpeg loudnorm, true peak -1.5 dBTP) so tracks from different sources play equally loud;
   * no tags (they were read with probe), `+faststart` so playback starts before it is loaded.
   */
  async toMusic(input: string, demuxer: string, output: string, lufs: number) {
    await this.ffmpeg(
      // prettier-ignore
      [
        '-f', demuxer, '-i', input,
        '-map', '0:a:0', '-map_metadata', '-1', '-vn',
        '-af', `loudnorm=I=${lufs}:TP=-1.5:LRA=11`, '-ar', '44100', '-ac', '2',
        '-c:a', 'aac', '-b:a', '160k', '-movflags', '+faststart', '-f', 'mp4', '-y', output,
      ],
    );
  }

  /** A song's embedded cover picture as PNG (a seek, as frame() does, would skip it). */
  async cover(input: string, demuxer: string): Promise<Buffer> {
    // prettier-ignore
    return this.ffmpeg(
      ['-f', demuxer, '-i', input, '-map', '0:v:0', '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'png', '-'],
      16 * 1024 * 1024,
    );
  }

  /** One frame at `atMs` as PNG. */
  async frame(input: string, demuxer: string, atMs: number): Promise<Buffer> {
    return this.ffmpeg([
      '-ss',
      (atMs / 1000).toFixed(3),
      '-f',
      demuxer,
      '-i',
      input,
      '-frames:v',
      '1',
      '-vf',
      "scale='min(1280,iw)':-2",
      '-f',
      'image2pipe',
      '-c:v',
      'png',
      '-',
    ]);
  }

  /**
   * H.264/AAC MP4 that every browser plays, `+faststart` so playback starts before the
   * download ends; optionally only [startMs, endMs).
   */
  async toMp4(input: string, demuxer: string, output: string, cut?: { startMs: number; endMs: number }) {
    await this.ffmpeg([
      ...(cut ? ['-ss', (cut.startMs / 1000).toFixed(3)] : []),
      '-f',
      demuxer,
      '-i',
      input,
      ...(cut ? ['-t', ((cut.endMs - cut.startMs) / 1000).toFixed(3)] : []),
      '-map',
      '0:v:0',
      '-map',
      '0:a:0?',
      '-map_metadata',
      '-1',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '23',
      '-pix_fmt',
      'yuv420p',
      '-vf',
      'scale=trunc(iw/2)*2:trunc(ih/2)*2',
      '-c:a',
      'aac',
      '-b:a',
      '128k',
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      '-y',
      output,
    ]);
  }
}

/** Whether browsers play a probed video as it is: H.264 (+ AAC) in MP4, 8-bit 4:2:0. */
export function playsInBrowsers(p: Probe): boolean {
  return (
    /mp4|mov/.test(p.formatName) &&
    p.video?.codec === 'h264' &&
    p.video.pixFmt === 'yuv420p' &&
    (!p.audio || p.audio.codec === 'aac')
  );
}

/** `count` peaks (0-100) of 16-bit PCM loudness, for drawing a waveform. */
function peaks(pcm: Buffer, samples: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const from = Math.floor((i * samples) / count);
    const to = Math.max(from + 1, Math.floor(((i + 1) * samples) / count));
    let max = 0;
    for (let j = from; j < to && j < samples; j++) max = Math.max(max, Math.abs(pcm.readInt16LE(j * 2)));
    out.push(Math.round((max / 32768) * 100));
  }
  return out;
}
