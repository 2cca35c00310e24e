import { create } from '@bufbuild/protobuf';
import { auth, message as pb } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, signUp } from '../../../test/helpers/auth-helpers.js';
import { backendAvailable, backendUrls, uniqueName } from '../../../test/helpers/backends.js';
import { createTestDatabaseUrl, dropTestDatabase } from '../../../test/helpers/sql-databases.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';

/**
 * Sync as a client builds its chat list from it: new messages alone (no read, no setting)
 * must list the conversation with its unread count and last message, on every SQL engine.
 */
const setups = [
  { name: 'SQLite', engine: 'sqlite' as const },
  { name: 'MariaDB', engine: 'mysql' as const },
  { name: 'PostgreSQL', engine: 'postgres' as const },
];

const text = (t: string) => create(pb.MessageContentSchema, { body: { case: 'text', value: { text: t } } });

for (const setup of setups) {
  const ok = setup.engine === 'sqlite' || (await backendAvailable(setup.engine));
  describe.skipIf(!ok)(`Sync after new messages on ${setup.name}`, () => {
    let server: TestServer;
    let sqlUrl: string | undefined;
    const msgApi = () => server.client(pb.MessageService);

    beforeAll(async () => {
      sqlUrl = setup.engine === 'sqlite' ? undefined : await createTestDatabaseUrl(setup.engine);
      server = await startTestServer({
        sqlUrl,
        redisUrl: setup.engine === 'sqlite' ? undefined : backendUrls.redis,
        redisPrefix: uniqueName('sync') + ':',
        overrides: { message: { sendBurst: 1000, sendRatePerSecond: 1000 } },
      });
    });
    afterAll(async () => {
      await server?.stop();
      if (sqlUrl) await dropTestDatabase(sqlUrl);
    });

    async function user() {
      const { session } = await signUp(server, server.client(auth.AuthService));
      return { id: session.user!.id, h: bearer(session.accessToken) };
    }
    async function pair(a: { id: string }, b: { id: string }) {
      const internal = server.app.value('rpc').client(pb.MessageInternalService);
      const r = await internal.applyDirect({ userA: a.id, userB: b.id, aCanSend: true, bCanSend: true });
      return r.conversationId;
    }
    async function sendMany(h: ReturnType<typeof bearer>, conversationId: string, n: number) {
      for (let i = 0; i < n; i += 25) {
        const batch = Array.from({ length: Math.min(25, n - i) }, (_, k) =>
          msgApi().sendMessage(
            {
              conversationId,
              clientMsgId: `s${i + k}-${Math.random()}`.replace('.', ''),
              content: text(`m${i + k}`),
            },
            h,
          ),
        );
        await Promise.all(batch);
      }
    }

    it('lists a conversation that only received messages, with its unread count and last message', async () => {
      const [a, b, c] = [await user(), await user(), await user()];
      const busy = await pair(a, b);
      const quiet = await pair(c, b);
      const first = await msgApi().sync({ sincePts: 0 }, b.h);
      expect(first.conversations.map((x) => x.id).sort()).toEqual([busy, quiet].sort());

      await sendMany(a.h, busy, 300);
      const after = await msgApi().sync({ sincePts: first.pts }, b.h);
      expect(after.pts).toBeGreaterThan(first.pts);
      expect(after.conversations.map((x) => x.id)).toEqual([busy]);
      expect(after.conversations[0]!.unreadCount).toBe(300);
      expect(after.conversations[0]!.lastMessage?.seq).toBe(300);
      expect(after.conversations[0]!.lastMessage?.content?.body).toMatchObject({ value: { text: 'm299' } });

      // Nothing new: the same pts and nothing listed.
      const idle = await msgApi().sync({ sincePts: after.pts }, b.h);
      expect(idle.pts).toBe(after.pts);
      expect(idle.conversations).toEqual([]);

      // Another device still on the first pts sees the change too (the stamp is per member row).
      const other = await msgApi().sync({ sincePts: first.pts }, b.h);
      expect(other.conversations.map((x) => x.id)).toEqual([busy]);

      // A message after a sync shows in the next one, with the count up to date.
      await sendMany(c.h, quiet, 1);
      const next = await msgApi().sync({ sincePts: idle.pts }, b.h);
      expect(next.conversations.map((x) => [x.id, x.unreadCount])).toEqual([[quiet, 1]]);
    });

    it("lists the sender's own conversation for its other devices, read (unread 0)", async () => {
      const [a, b] = [await user(), await user()];
      const conv = await pair(a, b);
      const first = await msgApi().sync({ sincePts: 0 }, a.h);
      await sendMany(a.h, conv, 3);
      const after = await msgApi().sync({ sincePts: first.pts }, a.h);
      expect(after.conversations.map((x) => [x.id, x.unreadCount, x.lastMessage?.seq])).toEqual([
        [conv, 0, 3],
      ]);
    });
  });
}
