import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A short H.264 video whose every frame is white (a light thumbnail), made with ffmpeg. */
export function whiteVideo(): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-white-'));
  try {
    const out = path.join(dir, 'white.mp4');
    execFileSync('ffmpeg', [
      ...['-loglevel', 'error', '-f', 'lavfi', '-i', 'color=c=white:size=320x240:rate=25:duration=2'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-f', 'mp4', out],
    ]);
    return fs.readFileSync(out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
