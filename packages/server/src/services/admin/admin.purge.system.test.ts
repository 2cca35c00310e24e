import { toJsonString } from '@bufbuild/protobuf';
import { keys, media, message, push, search } from '@mychat/protocol';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
import { befriend, sendText, setupAvailable } from '../../../test/helpers/contacts-helpers.js';
import { eventually } from '../../../test/helpers/eventually.js';
import { startFakePushService, type FakePushService } from '../../../test/helpers/fake-push-service.js';
import { get, uploadOk } from '../../../test/helpers/media-helpers.js';
import type { SqlDatabase } from '../../adapters/sql/sql.js';
import {
  ADMIN_SETUPS,
  newUser,
  operator,
  startAdminEnv,
  stepUp,
  type AdminEnv,
  type TestUser,
} from './admin.test-helpers.js';

const tokenOf = (u: TestUser) => u.h.headers.authorization.slice('Bearer '.length);
type Rows = Kysely<Record<string, { user_id: string; owner_id: string; sender_id: string }>>;

/**
 * The console's DeleteAccount purges every module through its internal methods: another
 * member reads nothing of the deleted account's messages (history, sync, search), its files
 * are gone from the blob store, and its push subscriptions, keys and other rows are deleted.
 * A purge stopped halfway is finished by the next DeleteAccount. On every engine.
 */
for (const setup of ADMIN_SETUPS) {
  const ok = await setupAvailable(setup);
  describe.skipIf(!ok)(`account deletion purges everything on ${setup.name}`, () => {
    let env: AdminEnv;
    let fake: FakePushService;
    let db: Rows;
    beforeAll(async () => {
      fake = await startFakePushService();
      env = await startAdminEnv(setup, {
        search: { pollIntervalMs: 20 },
        push: { allowedPrivateEndpoints: ['127.0.0.1/32'], caFile: fake.certFile },
      });
      db = env.server.app.value<SqlDatabase>('sql').db as unknown as Rows;
    });
    afterAll(async () => {
      await env?.stop();
      await fake?.stop();
    });
    const internal = () => env.server.app.value('rpc').client(message.MessageInternalService);
    const count = async (table: string, column: 'user_id' | 'owner_id' | 'sender_id', id: string) =>
      (await db.selectFrom(table).select(column).where(column, '=', id).execute()).length;

    it('leaves no content of the account readable or stored, and finishes a purge stopped halfway', async () => {
      const [leaving, other] = [await newUser(env, 'Leaving'), await newUser(env, 'Other')];
      const conv = await befriend(env.api, leaving, other);
      const secrets = ['purgeword alpha', 'purgeword beta', 'purgeword gamma'];
      for (const t of secrets) await sendText(env, leaving, conv, t);
      await sendText(env, other, conv, 'purgeword reply stays');
      // A file in a message, and the URL another member was given for it.
      const file = await uploadOk(env.server.baseUrl, tokenOf(leaving), 'file', Buffer.from('secret bytes'));
      const sent = await env.messages.sendMessage(
        {
          conversationId: conv,
          clientMsgId: 'purge-file-1',
          content: { body: { case: 'file', value: { file: { mediaId: file.id }, name: 'a.bin' } } },
        },
        leaving.h,
      );
      const { url } = await env.messages.getAttachmentUrl(
        {
          conversationId: conv,
          seq: sent.message!.seq,
          mediaId: file.id,
          variant: media.MediaVariant.ORIGINAL,
        },
        other.h,
      );
      expect((await get(env.server.baseUrl + url)).status).toBe(200);
      // A push subscription and a key backup.
      const s = fake.subscription();
      await env.server
        .client(push.PushService)
        .subscribePush({ endpoint: s.endpoint, p256dh: s.p256dh, auth: s.auth, deviceName: 'x' }, leaving.h);
      await env.server.client(keys.KeysService).putBackup({ backup: new Uint8Array([1, 2, 3]) }, leaving.h);
      const finder = env.server.client(search.SearchService);
      const find = () => finder.searchMessages({ query: 'purgeword' }, other.h);
      await eventually(find, (r) => r.hits.length === 4);
      const { pts } = await env.messages.sync({ sincePts: 0 }, other.h);

      // A purge stopped after one message: the next DeleteAccount finishes it.
      expect(await internal().purgeUserMessages({ userId: leaving.id, limit: 1 })).toEqual(
        expect.objectContaining({ recalled: 1, more: true }),
      );
      const op = await operator(env, 'Purger');
      await stepUp(env, op);
      await env.console.deleteAccount({ userId: leaving.id, reason: 'owner asked' }, op.h);

      const history = await env.messages.getHistory({ conversationId: conv, limit: 200 }, other.h);
      const json = toJsonString(message.GetHistoryResponseSchema, history);
      for (const t of secrets) expect(json).not.toContain(t);
      expect(json).toContain('purgeword reply stays');
      const theirs = history.messages.filter((m) => m.senderId === leaving.id && m.type < 20);
      expect(theirs.length).toBe(4);
      expect(theirs.every((m) => m.recalled && !m.content?.body.case)).toBe(true);
      // Their devices learn it by Sync: the conversation moved, its head is a recall event.
      const synced = await env.messages.sync({ sincePts: pts }, other.h);
      expect(synced.conversations.map((c) => c.id)).toContain(conv);
      expect(toJsonString(message.SyncResponseSchema, synced)).not.toContain('purgeword alpha');
      // Search drops them; the other member's message stays findable.
      const r = await eventually(find, (x) => x.hits.length === 1);
      expect(r.hits[0]!.senderId).toBe(other.id);
      // The file: its URL answers 404, its rows are gone, so is everything else of the account.
      expect((await get(env.server.baseUrl + url)).status).toBe(404);
      await expectReason(
        env.messages.getAttachmentUrl(
          { conversationId: conv, seq: sent.message!.seq, mediaId: file.id },
          other.h,
        ),
        'NOT_FOUND',
      );
      expect(await count('media_files', 'owner_id', leaving.id)).toBe(0);
      for (const table of [
        'push_subscriptions',
        'keys_backups',
        'keys_devices',
        'rooms_members',
        'calls_history',
      ])
        expect(await count(table, 'user_id', leaving.id)).toBe(0);
      // Bodies removed from storage, not only hidden.
      const stored = await db
        .selectFrom('msg_messages')
        .selectAll()
        .where('sender_id', '=', leaving.id)
        .execute();
      for (const t of secrets) expect(JSON.stringify(stored, (_k, v: unknown) => String(v))).not.toContain(t);
      // Again: nothing left to do.
      expect(await internal().purgeUserMessages({ userId: leaving.id })).toEqual(
        expect.objectContaining({ recalled: 0, more: false }),
      );
    });

    it('refuses bad input on the purge methods', async () => {
      await expectReason(internal().purgeUserMessages({ userId: '' }), 'INVALID_ARGUMENT');
      await expectReason(internal().purgeUserMessages({ userId: '1', limit: 5000 }), 'INVALID_ARGUMENT');
      const files = env.server.app.value('rpc').client(media.MediaInternalService);
      await expectReason(files.purgeUserMedia({ userId: 'x' }), 'INVALID_ARGUMENT');
      await expectReason(files.purgeUserMedia({ userId: '1', limit: 5000 }), 'INVALID_ARGUMENT');
      const pushes = env.server.app.value('rpc').client(push.PushInternalService);
      await expectReason(pushes.purgeUser({ userId: '' }), 'INVALID_ARGUMENT');
      expect(await pushes.purgeUser({ userId: '123' })).toEqual(expect.objectContaining({ removed: 0 }));
    });
  });
}
