import fs from 'node:fs';
import path from 'node:path';
import { auth } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../helpers/auth-helpers.js';
import { tus, tusMetadata, uploadOk } from '../helpers/media-helpers.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** Every path under `dir` with its permission bits, e.g. ["blobs/objects/m/1/x", 0o600]. */
function modes(dir: string): [string, number, boolean][] {
  const out: [string, number, boolean][] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      out.push([path.relative(dir, p), fs.statSync(p).mode & 0o777, e.isDirectory()]);
      if (e.isDirectory()) walk(p);
    }
  };
  out.push(['.', fs.statSync(dir).mode & 0o777, true]);
  walk(dir);
  return out;
}

/**
 * On a shared machine the data directory holds every message, key and upload: a real server
 * creates it, its SQLite database (with -wal and -shm), blobs, mail outbox and keys so that
 * only its own user can read them, whatever the umask allows.
 */
describe('data directory: private modes', () => {
  let server: TestServer;
  const umask = process.umask(0o022);

  beforeAll(async () => {
    server = await startTestServer({ dataDirAbsent: true });
  });
  afterAll(async () => {
    await server?.stop();
    process.umask(umask);
  });

  it('creates folders 0700 and files 0600 across a start, a sign-up and uploads', async () => {
    const { session } = await signUp(server, server.client(auth.AuthService));
    const token = session.accessToken;
    await uploadOk(server.baseUrl, token, 'file', Buffer.from('the plan\n'), 'plan.txt');
    // An unfinished resumable upload keeps its bytes on the gateway's disk.
    const tusUrl = `${server.baseUrl}/media/v1/tus`;
    const open = await tus(tusUrl, 'POST', token, {
      'upload-length': '100',
      'upload-metadata': tusMetadata({ kind: 'file', filename: 'half.bin' }),
    });
    expect(open.status).toBe(201);
    const url = new URL(open.headers.get('location')!, tusUrl + '/').toString();
    const patch = { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' };
    expect((await tus(url, 'PATCH', token, patch, Buffer.alloc(40))).status).toBe(204);

    const all = modes(server.dataDir);
    const names = all.map(([p]) => p);
    // What the test is about is really there.
    for (const expected of [
      /\.db$/,
      /\.db-wal$/,
      /\.db-shm$/,
      /^outbox\/.+/,
      /objects\/.+/,
      /^tus\/[a-f0-9]{32}$/,
    ])
      expect(
        names.some((n) => expected.test(n)),
        String(expected),
      ).toBe(true);
    const open_ = all.filter(([, mode, dir]) => mode !== (dir ? 0o700 : 0o600));
    expect(open_.map(([p, mode]) => `${p} ${mode.toString(8)}`)).toEqual([]);
  });
});
