import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { create } from '@bufbuild/protobuf';
import { auth, media, message as pb } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectReason, signUp, type AuthClient } from '../../../test/helpers/auth-helpers.js';
import {
  bombPng,
  h264Mp4,
  mpeg4Mp4,
  noisyPng,
  windowsExecutable,
} from '../../../test/helpers/media-fixtures.js';
import { cutOff, get, tus, tusMetadata, upload, uploadOk } from '../../../test/helpers/media-helpers.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';

const MiB = 1024 * 1024;
const rawStatus = (base: string, p: string) =>
  new Promise<number>((resolve, reject) => {
    const u = new URL(base);
    http
      .get({ host: u.hostname, port: u.port, path: p }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Resumable uploads, refused input, video and the drive through a real server. */
describe('media: uploads, limits, video and drive', () => {
  let server: TestServer;
  let api: AuthClient;
  const mediaApi = () => server.client(media.MediaService);

  beforeAll(async () => {
    server = await startTestServer({
      overrides: { media: { quotaBytes: 6 * MiB }, worker: { pollIntervalMs: 50 } },
    });
    api = server.client(auth.AuthService);
  });
  afterAll(() => server?.stop());

  async function user() {
    const { session } = await signUp(server, api);
    return { id: session.user!.id, token: session.accessToken, h: bearer(session.accessToken) };
  }
  const used = async (h: ReturnType<typeof bearer>) => Number((await mediaApi().getQuota({}, h)).usedBytes);
  const waitReady = async (h: ReturnType<typeof bearer>, mediaId: string) => {
    for (let i = 0; i < 300; i++) {
      const m = (await mediaApi().getMedia({ mediaId }, h)).media!;
      if (m.status !== media.MediaStatus.PROCESSING) return m;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('still processing');
  };

  it('resumes a tus upload cut off halfway, and only its owner may touch it', async () => {
    const [a, other] = [await user(), await user()];
    const bytes = randomBytes(3 * MiB);
    const tusUrl = `${server.baseUrl}/media/v1/tus`;
    expect((await tus(tusUrl, 'POST', undefined, { 'upload-length': String(bytes.length) })).status).toBe(
      401,
    );
    const created = await tus(tusUrl, 'POST', a.token, {
      'upload-length': String(bytes.length),
      'upload-metadata': tusMetadata({ kind: 'file', filename: '../../etc/backup.tar' }),
    });
    expect(created.status).toBe(201);
    const url = new URL(created.headers.get('location')!, tusUrl + '/').toString();

    await cutOff(
      url,
      'PATCH',
      {
        authorization: `Bearer ${a.token}`,
        'tus-resumable': '1.0.0',
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      },
      bytes,
      Math.floor(bytes.length / 2),
    );

    expect((await tus(url, 'HEAD', other.token)).status).toBe(404);
    expect(
      (
        await tus(
          url,
          'PATCH',
          other.token,
          { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
          Buffer.alloc(10),
        )
      ).status,
    ).toBe(404);
    const head = await tus(url, 'HEAD', a.token);
    expect(head.status).toBe(200);
    const offset = Number(head.headers.get('upload-offset'));
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThanOrEqual(bytes.length / 2);
    // Half an upload is not a file: nothing counts against the quota yet.
    expect(await used(a.h)).toBe(0);

    const done = await tus(
      url,
      'PATCH',
      a.token,
      {
        'upload-offset': String(offset),
        'content-type': 'application/offset+octet-stream',
      },
      bytes.subarray(offset),
    );
    expect(done.status).toBe(204);
    const mediaId = done.headers.get('x-media-id')!;
    expect(mediaId).toMatch(/^\d+$/);
    const again = await tus(url, 'HEAD', a.token);
    expect(again.headers.get('x-media-id')).toBe(mediaId);

    const m = (await mediaApi().getMedia({ mediaId }, a.h)).media!;
    expect({ size: m.size, sha: m.sha256, name: m.name }).toEqual({
      size: String(bytes.length),
      sha: sha(bytes),
      name: 'backup.tar',
    });
    const { url: dl } = await mediaApi().getDownloadUrl({ mediaId }, a.h);
    const got = await get(server.baseUrl + dl);
    expect(sha(got.body)).toBe(sha(bytes));
    expect(got.headers.get('content-disposition')).toMatch(/^attachment; filename="backup.tar"/);

    // Range requests (seeking): one range, a suffix, and one past the end.
    const part = await get(server.baseUrl + dl, { range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${bytes.length}`);
    expect(part.body.equals(bytes.subarray(100, 200))).toBe(true);
    const tail = await get(server.baseUrl + dl, { range: 'bytes=-10' });
    expect(tail.body.equals(bytes.subarray(bytes.length - 10))).toBe(true);
    expect((await get(server.baseUrl + dl, { range: `bytes=${bytes.length}-` })).status).toBe(416);
  });

  it('an upload cut off halfway never becomes a file or a message', async () => {
    const [a, b] = [await user(), await user()];
    const conv = (
      await server.app
        .value('rpc')
        .client(pb.MessageInternalService)
        .applyDirect({ userA: a.id, userB: b.id, aCanSend: true, bCanSend: true })
    ).conversationId;
    const bytes = await noisyPng(400, 400);
    await cutOff(
      `${server.baseUrl}/media/v1/upload?kind=image&name=half.png`,
      'POST',
      { authorization: `Bearer ${a.token}` },
      bytes,
      Math.floor(bytes.length / 2),
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(await used(a.h)).toBe(0);
    expect(server.logs.some((l) => l.includes('upload cut off'))).toBe(true);
    const staged = path.join(server.dataDir, 'blobs', 'objects', 'staging');
    expect(fs.existsSync(staged) ? fs.readdirSync(staged) : []).toEqual([]);
    // Nothing to send: a made-up id is not a file.
    await expectReason(
      server.client(pb.MessageService).sendMessage(
        {
          conversationId: conv,
          clientMsgId: 'half-1',
          content: create(pb.MessageContentSchema, {
            body: { case: 'image', value: { images: [{ mediaId: '123456789' }] } },
          }),
        },
        a.h,
      ),
      'NOT_FOUND',
    );
    expect(
      (await server.client(pb.MessageService).getHistory({ conversationId: conv, limit: 5 }, b.h)).messages,
    ).toEqual([]);
  });

  it('refuses an executable renamed to .png, by its bytes', async () => {
    const a = await user();
    const r = await upload(server.baseUrl, a.token, 'image', windowsExecutable(), 'cute-cat.png');
    expect(r.status).toBe(415);
    expect(r.json().reason).toBe('MEDIA_TYPE_NOT_ALLOWED');
    expect((await upload(server.baseUrl, a.token, 'file', windowsExecutable(), 'setup.exe')).status).toBe(
      415,
    );
    expect(
      (await upload(server.baseUrl, a.token, 'image', Buffer.from('GIF89a but not really'), 'x.gif')).status,
    ).toBe(415);
    expect(await used(a.h)).toBe(0);
  });

  it('refuses a 50 000 x 50 000 PNG before decoding it', async () => {
    const a = await user();
    const bomb = bombPng(50_000, 50_000);
    expect(bomb.length).toBeLessThan(1 * MiB);
    const started = Date.now();
    const r = await upload(server.baseUrl, a.token, 'image', bomb, 'bomb.png');
    expect(r.status).toBe(422);
    expect(r.json().reason).toBe('MEDIA_TOO_LARGE');
    // Decoding 2.5 G pixels would take minutes or run out of memory; the bound is loose for loaded CI.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('refuses an upload over the quota, before reading it, on both upload paths', async () => {
    const a = await user();
    await uploadOk(server.baseUrl, a.token, 'file', randomBytes(4 * MiB), 'a.bin');
    const r = await upload(server.baseUrl, a.token, 'file', randomBytes(3 * MiB), 'b.bin');
    expect(r.status).toBe(413);
    expect(r.json().reason).toBe('QUOTA_EXCEEDED');
    const t = await tus(`${server.baseUrl}/media/v1/tus`, 'POST', a.token, {
      'upload-length': String(3 * MiB),
      'upload-metadata': tusMetadata({ kind: 'file', filename: 'c.bin' }),
    });
    expect(t.status).toBe(413);
    expect(await used(a.h)).toBe(4 * MiB);
  });

  it('cleans a path-traversal file name and never lets a URL leave the store', async () => {
    const a = await user();
    const m = await uploadOk(
      server.baseUrl,
      a.token,
      'file',
      Buffer.from('hello\n'),
      '..\\..//../etc/passwd',
    );
    expect(m.name).toBe('passwd');
    expect(m.mime).toBe('text/plain; charset=utf-8');
    const { url } = await mediaApi().getDownloadUrl({ mediaId: m.id }, a.h);
    expect(url).toMatch(new RegExp(`^/media/v1/blob/m/${m.id}/original\\?`));
    const got = await get(server.baseUrl + url);
    expect(got.headers.get('content-disposition')).toMatch(/^attachment; filename="passwd"/);
    const q = url.slice(url.indexOf('?'));
    for (const evil of [
      '..%2F..%2Finternal-token',
      '../../internal-token',
      'm/%2e%2e/%2e%2e/internal-token',
    ]) {
      // Sent raw: fetch would normalise the dots away before they reached the server.
      expect(await rawStatus(server.baseUrl, `/media/v1/blob/${evil}${q}`), evil).toBe(403);
    }
  });

  it('plays an H.264 video as it is, transcodes another in the background, and trims', async () => {
    const a = await user();
    const ready = await uploadOk(server.baseUrl, a.token, 'video', await h264Mp4(2), 'clip.mp4');
    expect(ready).toMatchObject({
      status: media.MediaStatus.READY,
      mime: 'video/mp4',
      width: 320,
      height: 240,
      hasPoster: true,
    });
    expect(ready.durationMs).toBeGreaterThan(1900);
    const poster = await mediaApi().getDownloadUrl(
      { mediaId: ready.id, variant: media.MediaVariant.POSTER },
      a.h,
    );
    expect((await get(server.baseUrl + poster.url)).headers.get('content-type')).toBe('image/webp');

    const odd = await uploadOk(server.baseUrl, a.token, 'video', await mpeg4Mp4(2), 'old.mp4');
    expect(odd.status).toBe(media.MediaStatus.PROCESSING);
    await expectReason(mediaApi().getDownloadUrl({ mediaId: odd.id }, a.h), 'MEDIA_NOT_READY');
    const done = await waitReady(a.h, odd.id);
    expect(done).toMatchObject({
      status: media.MediaStatus.READY,
      mime: 'video/mp4',
      width: 320,
      height: 240,
    });

    const cut = (await mediaApi().trimVideo({ mediaId: ready.id, startMs: 500, endMs: 1500 }, a.h)).media!;
    expect(cut.status).toBe(media.MediaStatus.PROCESSING);
    const trimmed = await waitReady(a.h, cut.id);
    expect(trimmed.status).toBe(media.MediaStatus.READY);
    expect(Math.abs(trimmed.durationMs - 1000)).toBeLessThan(150);
    await expectReason(
      mediaApi().trimVideo({ mediaId: ready.id, startMs: 1500, endMs: 500 }, a.h),
      'INVALID_ARGUMENT',
    );
  });

  it('keeps files in drive folders: create, rename, move, delete (which frees the bytes)', async () => {
    const a = await user();
    const docs = (await mediaApi().createFolder({ parentId: '', name: 'Docs' }, a.h)).entry!;
    const sub = (await mediaApi().createFolder({ parentId: docs.id, name: 'Old' }, a.h)).entry!;
    const bytes = randomBytes(100_000);
    const r = await upload(server.baseUrl, a.token, 'file', bytes, 'report.pdf', { folder: docs.id });
    expect(r.status).toBe(201);
    const list = await mediaApi().listDrive({ folderId: docs.id }, a.h);
    expect(list.entries.map((e) => [e.name, e.isFolder])).toEqual([
      ['Old', true],
      ['report.pdf', false],
    ]);
    expect(list.path.map((e) => e.name)).toEqual(['Docs']);
    const file = list.entries[1]!;
    await mediaApi().renameEntry({ entryId: file.id, name: 'final.pdf' }, a.h);
    await expectReason(mediaApi().moveEntry({ entryId: docs.id, parentId: sub.id }, a.h), 'INVALID_ARGUMENT');
    const moved = (await mediaApi().moveEntry({ entryId: file.id, parentId: sub.id }, a.h)).entry!;
    expect({ parent: moved.parentId, name: moved.name }).toEqual({ parent: sub.id, name: 'final.pdf' });
    expect(await used(a.h)).toBe(100_000);
    const other = await user();
    await expectReason(mediaApi().deleteEntry({ entryId: docs.id }, other.h), 'NOT_FOUND');
    await mediaApi().deleteEntry({ entryId: docs.id }, a.h);
    expect((await mediaApi().listDrive({ folderId: '' }, a.h)).entries).toEqual([]);
    expect(await used(a.h)).toBe(0);
  });
});

describe('media: per-user upload rate', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ overrides: { media: { uploadsPerMinute: 3 } } });
  });
  afterAll(() => server?.stop());

  it('refuses uploads past the per-minute limit on both paths, per user, with a retry hint', async () => {
    const api = server.client(auth.AuthService);
    const [a, b] = [(await signUp(server, api)).session, (await signUp(server, api)).session];
    for (let i = 0; i < 3; i++)
      await uploadOk(server.baseUrl, a.accessToken, 'file', randomBytes(2048), `${i}.bin`);

    const r = await upload(server.baseUrl, a.accessToken, 'file', randomBytes(2048), 'late.bin');
    expect(r.status).toBe(429);
    expect(r.json().reason).toBe('RATE_LIMITED');
    const retry = Number(r.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    const t = await tus(`${server.baseUrl}/media/v1/tus`, 'POST', a.accessToken, {
      'upload-length': '2048',
      'upload-metadata': tusMetadata({ kind: 'file', filename: 'late.bin' }),
    });
    expect(t.status).toBe(429);

    // Someone else's uploads are not counted against the first user.
    expect((await upload(server.baseUrl, b.accessToken, 'file', randomBytes(2048), 'b.bin')).status).toBe(
      201,
    );
  });
});
