import { create } from '@bufbuild/protobuf';
import { auth, media, message as pb } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  device,
  expectReason,
  PASSWORD,
  signUp,
  type AuthClient,
} from '../../../test/helpers/auth-helpers.js';
import { backendAvailable, backendUrls, uniqueName } from '../../../test/helpers/backends.js';
import { get, uploadOk } from '../../../test/helpers/media-helpers.js';
import { createTestDatabaseUrl, dropTestDatabase } from '../../../test/helpers/sql-databases.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';

/**
 * The "file transfer" conversation: a user's conversation with themself, on every SQL
 * engine. Two devices of one user share it; nobody else can read or post there.
 */
const setups = [
  { name: 'SQLite + memory', engine: 'sqlite' as const, redis: false },
  { name: 'MariaDB + Redis', engine: 'mysql' as const, redis: true },
  { name: 'PostgreSQL + Redis', engine: 'postgres' as const, redis: true },
];

const text = (t: string) => create(pb.MessageContentSchema, { body: { case: 'text', value: { text: t } } });
const file = (mediaId: string, name: string) =>
  create(pb.MessageContentSchema, { body: { case: 'file', value: { file: { mediaId }, name } } });

for (const setup of setups) {
  const ok =
    (setup.engine === 'sqlite' || (await backendAvailable(setup.engine))) &&
    (!setup.redis || (await backendAvailable('redis')));
  describe.skipIf(!ok)(`file transfer conversation on ${setup.name}`, () => {
    let server: TestServer;
    let sqlUrl: string | undefined;
    let api: AuthClient;
    const msgApi = () => server.client(pb.MessageService);
    let n = 0;
    const cid = () => `ft${Date.now()}${n++}`;

    beforeAll(async () => {
      sqlUrl = setup.engine === 'sqlite' ? undefined : await createTestDatabaseUrl(setup.engine);
      server = await startTestServer({
        sqlUrl,
        redisUrl: setup.redis ? backendUrls.redis : undefined,
        redisPrefix: uniqueName('ft') + ':',
        overrides: { message: { sendBurst: 1000, sendRatePerSecond: 1000 } },
      });
      api = server.client(auth.AuthService);
    });
    afterAll(async () => {
      await server?.stop();
      if (sqlUrl) await dropTestDatabase(sqlUrl);
    });

    /** One user signed in on a web browser (A) and a PC app (B). */
    async function twoDevices() {
      const { session, email } = await signUp(server, api);
      const b = await api.login({
        destination: { case: 'email', value: email },
        credential: { case: 'password', value: PASSWORD },
        device: device('pc', 'dev-2', 'Laptop'),
      });
      return {
        id: session.user!.id,
        token: session.accessToken,
        a: bearer(session.accessToken),
        b: bearer(b.session!.accessToken),
      };
    }

    it('is one conversation per user, the same from every device, with the user as its only member', async () => {
      const u = await twoDevices();
      const [fromA, fromB] = await Promise.all([
        msgApi().getFileTransferConversation({}, u.a),
        msgApi().getFileTransferConversation({}, u.b),
      ]);
      expect(fromA.conversation!.id).toBe(fromB.conversation!.id);
      expect(fromA.conversation).toMatchObject({
        type: pb.ConversationType.SELF,
        peerId: '',
        canSend: true,
        memberCount: 1,
      });
      const other = await twoDevices();
      const theirs = await msgApi().getFileTransferConversation({}, other.a);
      expect(theirs.conversation!.id).not.toBe(fromA.conversation!.id);
    });

    it('carries a file from device A to device B without any friendship', async () => {
      const u = await twoDevices();
      const conv = (await msgApi().getFileTransferConversation({}, u.a)).conversation!.id;
      const bytes = Buffer.from('minutes of the meeting\n'.repeat(40));
      const m = await uploadOk(server.baseUrl, u.token, 'file', bytes, 'minutes.txt');
      const sent = await msgApi().sendMessage(
        { conversationId: conv, clientMsgId: cid(), content: file(m.id, 'minutes.txt') },
        u.a,
      );
      expect(sent.message!.seq).toBe(1);

      // Device B: the conversation comes with its sync, the file with the history, and the
      // file downloads with B's own token.
      const synced = await msgApi().sync({ sincePts: 0 }, u.b);
      expect(synced.conversations.find((c) => c.id === conv)?.lastMessage?.type).toBe(pb.MessageType.FILE);
      expect(synced.heads).toContainEqual(expect.objectContaining({ conversationId: conv, lastSeq: 1 }));
      const h = await msgApi().getHistory({ conversationId: conv, afterSeq: 0, limit: 10 }, u.b);
      const body = h.messages[0]!.content!.body;
      expect(body.case).toBe('file');
      const got = body.case === 'file' ? body.value : undefined;
      expect(got?.name).toBe('minutes.txt');
      expect(got?.file?.size).toBe(String(bytes.length));
      const { url } = await server
        .client(media.MediaService)
        .getDownloadUrl({ mediaId: m.id, variant: media.MediaVariant.ORIGINAL, download: true }, u.b);
      expect((await get(server.baseUrl + url)).body.equals(bytes)).toBe(true);

      // Text works too, and B's reply lands after it.
      await msgApi().sendMessage({ conversationId: conv, clientMsgId: cid(), content: text('got it') }, u.b);
      const all = await msgApi().getHistory({ conversationId: conv, afterSeq: 0, limit: 10 }, u.a);
      expect(all.messages.map((x) => x.seq)).toEqual([1, 2]);
    });

    it('keeps everyone else out: no reading, no posting, no existence leak', async () => {
      const u = await twoDevices();
      const conv = (await msgApi().getFileTransferConversation({}, u.a)).conversation!.id;
      await msgApi().sendMessage({ conversationId: conv, clientMsgId: cid(), content: text('private') }, u.a);
      const stranger = await twoDevices();
      await expectReason(
        msgApi().sendMessage(
          { conversationId: conv, clientMsgId: cid(), content: text('let me in') },
          stranger.a,
        ),
        'NOT_FOUND',
      );
      await expectReason(
        msgApi().getHistory({ conversationId: conv, afterSeq: 0, limit: 10 }, stranger.a),
        'NOT_FOUND',
      );
      await expectReason(msgApi().getConversation({ conversationId: conv }, stranger.a), 'NOT_FOUND');
      await expectReason(msgApi().markRead({ conversationId: conv, seq: 1 }, stranger.a), 'NOT_FOUND');
      const theirSync = await msgApi().sync({ sincePts: 0 }, stranger.a);
      expect(theirSync.heads.map((x) => x.conversationId)).not.toContain(conv);
      // The owner's history holds only their own message.
      const h = await msgApi().getHistory({ conversationId: conv, afterSeq: 0, limit: 10 }, u.b);
      expect(h.messages.map((x) => x.senderId)).toEqual([u.id]);
    });

    it('asks for a signed-in caller', async () => {
      await expectReason(msgApi().getFileTransferConversation({}), 'UNAUTHENTICATED');
    });
  });
}
