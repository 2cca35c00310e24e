import { auth, media } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, signUp, type AuthClient } from '../../../test/helpers/auth-helpers.js';
import { backendAvailable, backendUrls, uniqueName } from '../../../test/helpers/backends.js';
import { tus, tusMetadata, upload } from '../../../test/helpers/media-helpers.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';

const QUOTA = 100_000;
const MAX_OPEN = 5;

/**
 * Unfinished resumable uploads hold their declared length against the quota from the moment
 * they are created, and each user has a bounded number of them; finishing, deleting or
 * expiry gives the room back. The holds live in kv: in memory and on Redis.
 */
for (const redis of [false, true]) {
  const ok = !redis || (await backendAvailable('redis'));
  describe.skipIf(!ok)(`media: resumable uploads and the quota (${redis ? 'Redis' : 'memory'} kv)`, () => {
    let server: TestServer;
    let api: AuthClient;
    const clock = { offset: 0, now: () => Date.now() + clock.offset };
    const tusUrl = () => `${server.baseUrl}/media/v1/tus`;

    beforeAll(async () => {
      server = await startTestServer({
        clock,
        ...(redis && { redisUrl: backendUrls.redis, redisPrefix: uniqueName('resv') + ':' }),
        overrides: { media: { quotaBytes: QUOTA, maxOpenUploads: MAX_OPEN, resumableExpiryHours: 24 } },
      });
      api = server.client(auth.AuthService);
    });
    afterAll(() => server?.stop());

    async function user() {
      const { session } = await signUp(server, api);
      return { id: session.user!.id, token: session.accessToken, h: bearer(session.accessToken) };
    }
    const create = (token: string, size: number) =>
      tus(tusUrl(), 'POST', token, {
        'upload-length': String(size),
        'upload-metadata': tusMetadata({ kind: 'file', filename: 'big.bin' }),
      });
    const location = (r: { headers: Headers }) =>
      new URL(r.headers.get('location')!, tusUrl() + '/').toString();
    const reasonOf = (r: { json(): unknown }) => (r.json() as { reason: string }).reason;
    const used = async (h: ReturnType<typeof bearer>) =>
      Number((await server.client(media.MediaService).getQuota({}, h)).usedBytes);

    it('holds declared lengths: parallel creations cannot together pass the quota', async () => {
      const a = await user();
      // Six at once, 30 000 bytes each, against 100 000: three fit, however they interleave.
      const answers = await Promise.all(Array.from({ length: 6 }, () => create(a.token, 30_000)));
      const statuses = answers.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 201, 201, 413, 413, 413]);
      for (const r of answers.filter((x) => x.status === 413)) expect(reasonOf(r)).toBe('QUOTA_EXCEEDED');
      // The one-request path sees the held bytes too.
      const small = await upload(server.baseUrl, a.token, 'file', Buffer.alloc(20_000, 1), 'small.bin');
      expect([small.status, reasonOf(small)]).toEqual([413, 'QUOTA_EXCEEDED']);
      expect(await used(a.h)).toBe(0);

      // Finishing one turns its hold into used bytes (not both): 10 000 more fit, not 10 001.
      const [first, second] = answers.filter((r) => r.status === 201).map(location);
      const patch = { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' };
      expect((await tus(first!, 'PATCH', a.token, patch, Buffer.alloc(30_000, 7))).status).toBe(204);
      expect(await used(a.h)).toBe(30_000);
      expect((await create(a.token, 10_001)).status).toBe(413);

      // Deleting one gives its hold back.
      expect((await tus(second!, 'DELETE', a.token)).status).toBe(204);
      expect((await create(a.token, 30_000)).status).toBe(201);
      expect((await create(a.token, 10_001)).status).toBe(413);
    });

    it('caps open uploads per user; deleting or expiry frees a place', async () => {
      const a = await user();
      const open = await Promise.all(Array.from({ length: MAX_OPEN + 2 }, () => create(a.token, 1_000)));
      expect(open.filter((r) => r.status === 201)).toHaveLength(MAX_OPEN);
      const refused = open.filter((r) => r.status !== 201);
      expect(refused.map((r) => [r.status, reasonOf(r)])).toEqual([
        [429, 'TOO_MANY_UPLOADS'],
        [429, 'TOO_MANY_UPLOADS'],
      ]);
      // Another user is not affected.
      expect((await create((await user()).token, 1_000)).status).toBe(201);

      const one = location(open.find((r) => r.status === 201)!);
      expect((await tus(one, 'DELETE', a.token)).status).toBe(204);
      expect((await create(a.token, 1_000)).status).toBe(201);
      expect((await create(a.token, 1_000)).status).toBe(429);

      // A day later the unfinished ones have expired and hold nothing.
      clock.offset += 25 * 3_600_000;
      try {
        expect((await create(a.token, 96_000)).status).toBe(201);
      } finally {
        clock.offset -= 25 * 3_600_000;
      }
    });
  });
}
