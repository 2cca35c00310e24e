import fs from 'node:fs';
import path from 'node:path';

/**
 * Reads a secret file, creating it with `make()` first when it does not exist. Two
 * processes racing on one data dir both end up with the same secret: the file is
 * created exclusively and the loser reads the winner's.
 */
export function readOrCreateSecret(file: string, make: () => string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(file, make(), { flag: 'wx', mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  return fs.readFileSync(file, 'utf8');
}
