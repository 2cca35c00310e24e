import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A short H.264 video whose every frame is white (a light thumbnail), made with ffmpeg. */
export function whiteVideo(): Buffer {
  return video('color=c=white:size=320x240:rate=25:duration=2');
}

/** A moving test pattern (ffmpeg's testsrc2) of `seconds`, H.264: frames differ along it. */
export function patternVideo(seconds: number): Buffer {
  return video(`testsrc2=size=320x240:rate=25:duration=${seconds}`);
}

function video(lavfi: string): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-video-'));
  try {
    const out = path.join(dir, 'clip.mp4');
    execFileSync('ffmpeg', [
      ...['-loglevel', 'error', '-f', 'lavfi', '-i', lavfi],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-f', 'mp4', out],
    ]);
    return fs.readFileSync(out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
