import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/*
 * The development outboxes of the mail and sms adapters write through this (here in the kernel:
 * an adapter imports only its own folder and the kernel).
 */

let lastMs = 0;
let sameMsSeq = 0;

/**
 * A file name stem that sorts in creation order: UTC time to the millisecond, a
 * per-process sequence for files created in the same millisecond, and random bytes so
 * two processes writing the same outbox never collide.
 */
export function outboxFileStem(now: Date = new Date()): string {
  const ms = now.getTime();
  if (ms === lastMs) sameMsSeq += 1;
  else {
    lastMs = ms;
    sameMsSeq = 0;
  }
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${String(sameMsSeq).padStart(4, '0')}-${randomBytes(4).toString('hex')}`;
}

/**
 * Writes `content` as `<dir>/<time-ordered stem>.<ext>`, creating `dir` on demand.
 *
 * The bytes go to a hidden temp file first and are renamed into place, so a reader
 * listing `*.<ext>` never sees a half-written file (rename is atomic within one directory).
 *
 * @returns the final path and the stem (used as the message id)
 */
export async function writeOutboxFile(
  dir: string,
  ext: string,
  content: string | Uint8Array,
): Promise<{ file: string; stem: string }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stem = outboxFileStem();
  const file = path.join(dir, `${stem}.${ext}`);
  const temp = path.join(dir, `.${stem}.${ext}.tmp`);
  try {
    await writeFile(temp, content, { flag: 'wx', mode: 0o600 });
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return { file, stem };
}
