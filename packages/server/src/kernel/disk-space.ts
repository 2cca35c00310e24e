import fs from 'node:fs';

/**
 * Whether the file system holding `dir` has at least `minFreeBytes` available to this
 * process (statfs bavail: what an unprivileged writer can still use). A full data disk
 * makes SQLite commits, uploads and logs fail, so readiness reports it before they do.
 */
export async function hasFreeSpace(dir: string, minFreeBytes: number): Promise<boolean> {
  if (minFreeBytes <= 0) return true;
  try {
    const s = await fs.promises.statfs(dir, { bigint: true });
    return s.bavail * s.bsize >= BigInt(minFreeBytes);
  } catch {
    // An unreadable data dir is no place to write to either.
    return false;
  }
}
