import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import sharp from 'sharp';

const run = promisify(execFile);

/** A JPEG photo with EXIF orientation 6 (shown rotated 90°), a camera make and a GPS position. */
export async function photoWithGps(width = 600, height = 400): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 30 } } })
    .composite([
      { input: Buffer.alloc(50 * 50 * 3, 255), raw: { width: 50, height: 50, channels: 3 }, left: 0, top: 0 },
    ])
    .jpeg({ quality: 85 })
    .withExif({
      IFD0: { Make: 'TestCam' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '39/1 54/1 0/1',
        GPSLongitudeRef: 'E',
        GPSLongitude: '116/1 23/1 0/1',
      },
    })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

/** A PNG of the given size with noise, so files differ and do not compress to nothing. */
export async function noisyPng(width: number, height: number): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/**
 * An animated GIF or WebP of `frames` square frames, each a different grey; `exif`: with an
 * EXIF block (the server re-encodes such a file to drop it).
 */
export async function animatedImage(
  format: 'gif' | 'webp',
  frames = 3,
  side = 24,
  exif = false,
): Promise<Buffer> {
  const frame = side * side * 3;
  const raw = Buffer.alloc(frame * frames);
  for (let f = 0; f < frames; f++) raw.fill(60 * (f + 1), f * frame, (f + 1) * frame);
  let img = sharp(raw, { raw: { width: side, height: side * frames, channels: 3, pageHeight: side } });
  if (exif) img = img.withExif({ IFD0: { Copyright: 'MyChat test' } });
  return (format === 'gif' ? img.gif() : img.webp()).toBuffer();
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(td));
  return Buffer.concat([len, td, crc]);
}

/**
 * A decompression bomb: a valid PNG header announcing width x height pixels (50 000 x 50 000
 * = 2.5 gigapixels, 7.5 GB decoded) followed by a few compressed rows. Built by hand so the
 * test does not have to make the 2.5 gigapixels it is about.
 */
export function bombPng(width = 50_000, height = 50_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const rows = zlib.deflateSync(Buffer.alloc((width * 3 + 1) * 4));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', rows),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A Windows executable's first bytes (DOS and PE headers), as someone would rename to .png. */
export function windowsExecutable(): Buffer {
  const b = Buffer.alloc(1024);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\0\0', 0x80, 'latin1');
  b.writeUInt16LE(0x14c, 0x84);
  return b;
}

async function ffmpeg(args: string[], ext: string): Promise<Buffer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-fixture-'));
  const out = path.join(dir, `out.${ext}`);
  try {
    await run('/usr/bin/ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', ...args, '-y', out]);
    return fs.readFileSync(out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Speech-length audio as a browser records it: Opus in WebM (a sine tone that rises). */
export const voiceWebm = (seconds: number) =>
  ffmpeg(
    [
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=300:beep_factor=2:duration=${seconds}`,
      '-c:a',
      'libopus',
      '-b:a',
      '64k',
      '-f',
      'webm',
    ],
    'webm',
  );

/** Audio as WAV (mono, 8 kHz: small even when long). */
export const toneWav = (seconds: number) =>
  ffmpeg(['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=8000:duration=${seconds}`, '-ac', '1'], 'wav');

/**
 * A song as a music app saves it: MP3 with ID3 tags (title, artist) and an embedded cover, a
 * quiet tone (-30 dBFS) that loudness normalisation should bring up.
 */
export const taggedMp3 = (seconds: number, title: string, artist: string) =>
  // prettier-ignore
  ffmpeg(
    [
      '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`,
      '-f', 'lavfi', '-i', 'color=c=red:s=64x64:d=1',
      '-map', '0:a', '-map', '1:v', '-frames:v', '1', '-af', 'volume=-30dB',
      '-c:a', 'libmp3lame', '-b:a', '96k', '-c:v', 'mjpeg', '-disposition:v', 'attached_pic',
      '-id3v2_version', '3', '-metadata', `title=${title}`, '-metadata', `artist=${artist}`, '-f', 'mp3',
    ],
    'mp3',
  );

/** FLAC with Vorbis comments (upper-case TITLE / ARTIST), no cover. */
export const taggedFlac = (seconds: number, title: string, artist: string) =>
  // prettier-ignore
  ffmpeg(
    [
      '-f', 'lavfi', '-i', `sine=frequency=660:sample_rate=22050:duration=${seconds}`,
      '-metadata', `TITLE=${title}`, '-metadata', `ARTIST=${artist}`, '-f', 'flac',
    ],
    'flac',
  );

/** Integrated loudness of an audio file, LUFS (ffmpeg's EBU R128 meter). */
export async function loudnessLufs(file: Buffer): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-fixture-'));
  try {
    const f = path.join(dir, 'in');
    fs.writeFileSync(f, file);
    const { stderr } = await run('/usr/bin/ffmpeg', [
      '-hide_banner',
      '-nostdin',
      '-i',
      f,
      '-af',
      'ebur128',
      '-f',
      'null',
      '-',
    ]);
    const m = /Integrated loudness:\s+I:\s+(-?[\d.]+) LUFS/.exec(stderr);
    return m ? Number(m[1]) : Number.NaN;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A video browsers play as is: H.264 + AAC in MP4. */
export const h264Mp4 = (seconds: number) =>
  ffmpeg(
    [
      '-f',
      'lavfi',
      '-i',
      `testsrc=size=320x240:rate=25:duration=${seconds}`,
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=500:duration=${seconds}`,
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-shortest',
      '-f',
      'mp4',
    ],
    'mp4',
  );

/** A video browsers may not play: MPEG-4 Part 2 in MP4 (the server transcodes it in the background). */
export const mpeg4Mp4 = (seconds: number) =>
  ffmpeg(
    ['-f', 'lavfi', '-i', `testsrc=size=320x240:rate=25:duration=${seconds}`, '-c:v', 'mpeg4', '-f', 'mp4'],
    'mp4',
  );
