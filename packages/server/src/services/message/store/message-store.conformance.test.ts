import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUniqueViolation, type SqlDatabase } from '../../../adapters/sql/sql.js';
import { openSqliteSql } from '../../../adapters/sql/sqlite.sql.js';
import { backendAvailable } from '../../../../test/helpers/backends.js';
import { openTestDatabase, silentLogger, type TestDatabase } from '../../../../test/helpers/sql-databases.js';
import { messageMigrations } from '../message.migrations.js';
import { CONV_DIRECT, CONV_GROUP, type MessageRow } from '../message.tables.js';
import { createMessageStore } from './create-message-store.js';
import type { MessageStore } from './message-store.js';
import { seedMessages } from '../message.bench-seed.js';
import { decodeContent } from '../message.views.js';
import { MysqlMessageStore } from './mysql-message-store.js';
import { PostgresMessageStore } from './postgres-message-store.js';
import { SqliteMessageStore } from './sqlite-message-store.js';

/**
 * The message store's contract, the same assertions on every engine: what the service sees
 * must not depend on which subclass serves it.
 */
const engines = [
  { engine: 'sqlite', store: SqliteMessageStore },
  { engine: 'postgres', store: PostgresMessageStore },
  { engine: 'mysql', store: MysqlMessageStore },
] as const;

/** Ids of a test of their own: snowflake-sized, past 2^53, so none is ever a float. */
let next = 384785105459081000n;
const id = () => String(next++);

for (const { engine, store: storeClass } of engines) {
  const ok = engine === 'sqlite' || (await backendAvailable(engine));
  describe.skipIf(!ok)(`the message store on ${engine}`, () => {
    let sql: SqlDatabase;
    let testDb: TestDatabase | undefined;
    let store: MessageStore;

    beforeAll(async () => {
      if (engine === 'sqlite') sql = await openSqliteSql(':memory:', silentLogger());
      else sql = (testDb = await openTestDatabase(engine)).sql;
      await sql.migrate('msg', messageMigrations);
      store = createMessageStore(sql);
    });
    afterAll(async () => {
      if (testDb) await testDb.dispose();
      else await sql?.close();
    });

    /** A conversation with members, their cursors at 0, straight into the tables. */
    async function conversation(type: number, members: string[], name = '') {
      const conv = id();
      await store.insertConversation(store.db, {
        id: conv,
        type,
        direct_key: type === CONV_DIRECT ? `k${conv}` : null,
        name,
        muted_all: 0,
        last_seq: 0,
        last_message_at: 0,
        created_at: 0,
      });
      for (const user of members)
        await store.insertMember(store.db, {
          conv_id: conv,
          user_id: user,
          role: 1,
          send_state: 0,
          muted_until: 0,
          first_seq: 1,
          left_seq: null,
          read_seq: 0,
          delivered_seq: 0,
          muted: 0,
          pinned: 0,
          pts: 0,
        });
      return conv;
    }

    const message = (convId: string, senderId: string, over: Partial<MessageRow> = {}): MessageRow => ({
      convId,
      seq: 0,
      id: id(),
      senderId,
      clientMsgId: `c${id()}`,
      type: 1,
      content: '{"text":{"text":"hi"}}',
      replyToSeq: 0,
      mentions: [],
      mentionAll: false,
      createdAt: 1000,
      recalledAt: null,
      ...over,
    });

    const send = (rows: MessageRow[], now = 5000) =>
      store.groupCommit((tx) => store.storeNew(tx, rows, now)).then(() => rows.map((r) => r.seq));

    it('is the subclass of its engine', () => {
      expect(store).toBeInstanceOf(storeClass);
    });

    it('reads conversations and members back as written', async () => {
      const [a, b, c] = [id(), id(), id()];
      const direct = await conversation(CONV_DIRECT, [a, b]);
      const group = await conversation(CONV_GROUP, [a, b, c], 'G');
      expect(await store.conversation(group)).toEqual({
        id: group,
        type: CONV_GROUP,
        name: 'G',
        mutedAll: false,
        lastSeq: 0,
        lastMessageAt: 0,
      });
      expect((await store.directByKey(`k${direct}`))?.id).toBe(direct);
      expect(await store.directByKey('k-none')).toBeUndefined();
      expect((await store.conversations([direct, group, id()])).map((x) => x.id).sort()).toEqual(
        [direct, group].sort(),
      );
      expect(await store.conversations([])).toEqual([]);
      const me = await store.member(group, c);
      expect(me).toMatchObject({ convId: group, userId: c, role: 1, leftSeq: null, muted: false });
      expect(await store.membership(group, c)).toEqual({ conv: await store.conversation(group), me });
      expect(await store.membership(group, id())).toBeUndefined();
      expect((await store.members(group)).map((m) => m.userId).sort()).toEqual([a, b, c].sort());

      await store.updateMember(store.db, group, c, { left_seq: 0, muted: 1 });
      await store.updateConversation(store.db, group, { name: 'H', muted_all: 1 });
      expect(await store.member(group, c)).toMatchObject({ leftSeq: 0, muted: true });
      expect(await store.conversation(group)).toMatchObject({ name: 'H', mutedAll: true });
      expect((await store.activeMemberIds(group)).sort()).toEqual([a, b].sort());
      expect((await store.memberCounts([direct, group])).get(group)).toBe(2);
      expect((await store.peers([direct], a)).get(direct)?.userId).toBe(b);
      expect((await store.membershipsOf(a)).map((m) => m.convId).sort()).toEqual([direct, group].sort());
    });

    it('gives each send context its member, conversation, 1:1 audience and receipt setting', async () => {
      const [a, b, c] = [id(), id(), id()];
      const direct = await conversation(CONV_DIRECT, [a, b]);
      const group = await conversation(CONV_GROUP, [a, c]);
      await store.setHideReadReceipts(b, true);
      // Several lookups at once (one query per event-loop turn on the networked engines).
      const [ca, cb, cg, none] = await Promise.all([
        store.sendContext(direct, a),
        store.sendContext(direct, b),
        store.sendContext(group, c),
        store.sendContext(group, b),
      ]);
      expect(ca?.directMembers?.sort()).toEqual([a, b].sort());
      expect([ca?.hidesReceipts, cb?.hidesReceipts]).toEqual([false, true]);
      expect(cb?.me.userId).toBe(b);
      expect(cg).toMatchObject({ conv: { id: group, type: CONV_GROUP }, directMembers: undefined });
      expect(none).toBeUndefined();
      await store.updateMember(store.db, direct, b, { left_seq: 0 });
      expect((await store.sendContext(direct, a))?.directMembers).toEqual([a]);
    });

    it('stores a batch in one group commit: gapless seqs per conversation, the sender read up to theirs', async () => {
      const [a, b] = [id(), id()];
      const one = await conversation(CONV_DIRECT, [a, b]);
      const two = await conversation(CONV_GROUP, [a, b]);
      const rows = [message(two, a), message(one, a), message(one, b), message(two, b), message(one, a)];
      expect(await send(rows, 7000)).toEqual([1, 1, 2, 2, 3]);
      expect(await store.conversation(one)).toMatchObject({ lastSeq: 3, lastMessageAt: 7000 });
      expect(await store.member(one, a)).toMatchObject({ readSeq: 3, deliveredSeq: 3 });
      expect(await store.member(one, b)).toMatchObject({ readSeq: 2, deliveredSeq: 2 });
      expect((await store.sendContext(one, a))?.conv.lastSeq).toBe(3);
      expect(await send([message(one, b)])).toEqual([4]);
      expect((await store.sendContext(one, b))?.me.readSeq).toBe(4);
    });

    it('keeps nothing of a group commit that failed', async () => {
      const [a, b] = [id(), id()];
      const conv = await conversation(CONV_DIRECT, [a, b]);
      await send([message(conv, a)]);
      const row = message(conv, a);
      await expect(
        store.groupCommit(async (tx) => {
          await store.storeNew(tx, [row], 9000);
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      expect((await store.conversation(conv))?.lastSeq).toBe(1);
      expect((await store.sendContext(conv, a))?.conv.lastSeq).toBe(1);
      expect(await store.messageByClientId(a, row.clientMsgId)).toBeUndefined();
    });

    it("refuses a sender's client id twice with a unique violation, and finds the first by it", async () => {
      const [a, b] = [id(), id()];
      const conv = await conversation(CONV_DIRECT, [a, b]);
      const first = message(conv, a, { mentions: [b], mentionAll: true });
      await send([first]);
      const err = await send([message(conv, a, { clientMsgId: first.clientMsgId })]).catch((e: unknown) => e);
      expect(isUniqueViolation(err)).toBe(true);
      expect(await store.messageByClientId(a, first.clientMsgId)).toEqual(first);
      expect((await store.conversation(conv))?.lastSeq).toBe(1);
    });

    it('refuses to reserve seqs of a conversation that is gone', async () => {
      await expect(
        store.groupCommit((tx) => store.reserveSeqsMany(tx, [{ convId: id(), n: 1 }], 1)),
      ).rejects.toThrow(/vanished/);
      await expect(store.transaction((tx) => store.nextSeq(tx, id(), 1))).rejects.toThrow(/vanished/);
    });

    it('moves delivered cursors forward only, the highest move of a member winning', async () => {
      const [a, b, c] = [id(), id(), id()];
      const conv = await conversation(CONV_GROUP, [a, b, c]);
      await send([message(conv, a), message(conv, a), message(conv, a)]);
      const moved = await store.groupCommit((tx) =>
        store.advanceDeliveredMany(tx, [
          { convId: conv, userId: b, seq: 1 },
          { convId: conv, userId: b, seq: 2 },
          { convId: conv, userId: c, seq: 0 },
          { convId: conv, userId: id(), seq: 3 },
        ]),
      );
      expect(moved).toEqual([true, true, false, false]);
      expect(await store.member(conv, b)).toMatchObject({ deliveredSeq: 2, readSeq: 0 });
      expect((await store.sendContext(conv, b))?.me.deliveredSeq).toBe(2);
      expect(
        await store.groupCommit((tx) =>
          store.advanceDeliveredMany(tx, [{ convId: conv, userId: b, seq: 1 }]),
        ),
      ).toEqual([false]);
      // A read moves delivered too, and never backwards.
      expect(await store.advanceCursors(store.db, conv, c, { read: 3 })).toBe(true);
      expect(await store.advanceCursors(store.db, conv, c, { read: 2 })).toBe(false);
      expect(await store.member(conv, c)).toMatchObject({ readSeq: 3, deliveredSeq: 3 });
    });

    it('keeps snowflake ids that differ only in their low bits apart', async () => {
      const u1 = '384785105459081218';
      const u2 = '384785105459081219';
      const conv = await conversation(CONV_DIRECT, [u1, u2]);
      await send([message(conv, u1), message(conv, u1)]);
      expect(
        await store.groupCommit((tx) =>
          store.advanceDeliveredMany(tx, [{ convId: conv, userId: u2, seq: 1 }]),
        ),
      ).toEqual([true]);
      const [m1, m2] = [(await store.member(conv, u1))!, (await store.member(conv, u2))!];
      expect([m1.readSeq, m1.deliveredSeq, m2.readSeq, m2.deliveredSeq]).toEqual([2, 2, 0, 1]);
      expect(
        (await store.range(conv, { after: 0, min: 1, max: 9, limit: 9 })).map((r) => r.senderId),
      ).toEqual([u1, u1]);
    });

    it('reads history by seq in both directions, within the bounds and the limit', async () => {
      const [a, b] = [id(), id()];
      const conv = await conversation(CONV_DIRECT, [a, b]);
      const rows = Array.from({ length: 6 }, (_, i) => message(conv, i % 2 ? b : a));
      await send(rows);
      const seqs = (r: MessageRow[]) => r.map((m) => m.seq);
      expect(seqs(await store.range(conv, { after: 1, min: 1, max: 5, limit: 3 }))).toEqual([2, 3, 4]);
      expect(seqs(await store.range(conv, { before: 6, min: 2, max: 6, limit: 10 }))).toEqual([5, 4, 3, 2]);
      expect(seqs(await store.range(conv, { min: 1, max: 4, limit: 2 }))).toEqual([4, 3]);
      expect(await store.range(conv, { after: 6, min: 1, max: 6, limit: 5 })).toEqual([]);
      expect((await store.range(conv, { after: 0, min: 1, max: 1, limit: 1 }))[0]).toEqual(rows[0]);
      expect(await store.message(conv, 2)).toEqual(rows[1]);
      expect(
        (
          await store.lastMessages([
            { id: conv, seq: 4 },
            { id: id(), seq: 0 },
          ])
        ).get(conv),
      ).toEqual(rows[3]);
      expect(await store.sendersBetween(conv, 1, 4, a)).toEqual([b]);
      expect(await store.sendersBetween(conv, 4, 4, a)).toEqual([]);
    });

    it('recalls a message in place, with its event under the next seq', async () => {
      const [a, b] = [id(), id()];
      const conv = await conversation(CONV_DIRECT, [a, b]);
      await send([message(conv, a)]);
      const event = message(conv, a, { type: 5, content: '{"recall":{"seq":1}}' });
      await store.transaction(async (tx) => {
        await store.markRecalled(tx, conv, 1, 8000);
        event.seq = await store.nextSeq(tx, conv, 8000);
        await store.insertMessage(tx, event);
      });
      expect(await store.message(conv, 1)).toMatchObject({ recalledAt: 8000, content: '{}' });
      expect(await store.message(conv, 2)).toEqual(event);
      expect((await store.sendContext(conv, b))?.conv.lastSeq).toBe(2);
    });

    it("counts each user's updates (pts) and stamps conversations whose head moved", async () => {
      const [a, b] = [id(), id()];
      const conv = await conversation(CONV_DIRECT, [a, b]);
      expect(await store.userState(a)).toEqual({ pts: 0, hideReadReceipts: false });
      const pts = await store.transaction((tx) => store.bumpPts(tx, conv, [a, b]));
      expect([pts.get(a), pts.get(b)]).toEqual([1, 1]);
      expect((await store.transaction((tx) => store.bumpPts(tx, conv, [a]))).get(a)).toBe(2);
      expect((await store.membershipsOf(a, 1)).map((m) => m.pts)).toEqual([2]);
      expect(await store.membershipsOf(b, 1)).toEqual([]);
      await send([message(conv, b)]);
      expect(await store.stampMovedHeads(a)).toBe(3);
      expect(await store.stampMovedHeads(a)).toBe(3);
      expect(await store.heads(a)).toEqual([{ convId: conv, lastSeq: 1, syncedSeq: 1 }]);
      await store.setHideReadReceipts(a, true);
      await store.setHideReadReceipts(a, true);
      expect(await store.hidingReceipts([a, b])).toEqual(new Set([a]));
      expect(await store.userState(a)).toEqual({ pts: 3, hideReadReceipts: true });
    });

    it('caps a leaver’s head at where they left', async () => {
      const [a, b] = [id(), id()];
      const conv = await conversation(CONV_GROUP, [a, b]);
      await send([message(conv, a), message(conv, a)]);
      await store.updateMember(store.db, conv, b, { left_seq: 1 });
      await send([message(conv, a)]);
      expect((await store.heads(b))[0]).toMatchObject({ convId: conv, lastSeq: 1 });
      expect((await store.heads(a))[0]).toMatchObject({ convId: conv, lastSeq: 3 });
    });

    it('takes the search benchmark’s corpus in bulk: seqs in turn, ids and times as history', async () => {
      const [a, b, c] = [id(), id(), id()];
      const [group, direct] = [
        await conversation(CONV_GROUP, [a, b, c]),
        await conversation(CONV_DIRECT, [a, b]),
      ];
      await send([message(group, a)]);
      const plan = { endAt: 1.8e12, stepMs: 10, nodeId: 5, text: (i: number) => `公园 ${i}` };
      const conversations = [
        { id: group, senderIds: [a, b, c] },
        { id: direct, senderIds: [a, b] },
      ];
      // More than one transaction's worth.
      await seedMessages(store, { ...plan, messages: 4_101, conversations });
      const rows = await store.range(group, { min: 1, max: 10_000, after: 0, limit: 10_000 });
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 2_052 }, (_, i) => i + 1));
      expect((await store.conversation(group))?.lastSeq).toBe(2_052);
      const seeded = rows.slice(1);
      expect(seeded.map((r) => r.senderId).slice(0, 4)).toEqual([a, b, c, a]);
      for (let i = 1; i < seeded.length; i++) {
        expect(BigInt(seeded[i]!.id)).toBeGreaterThan(BigInt(seeded[i - 1]!.id));
        expect(seeded[i]!.createdAt).toBe(seeded[i - 1]!.createdAt + 20);
      }
      expect(seeded[seeded.length - 1]!.createdAt).toBeLessThanOrEqual(plan.endAt);
      expect(decodeContent(seeded[0]!.content).body).toMatchObject({
        case: 'text',
        value: { text: '公园 0' },
      });
      expect((await store.range(direct, { min: 1, max: 10_000, after: 0, limit: 10_000 })).length).toBe(
        2_050,
      );
      // Each sender's read cursor is at their newest message.
      expect((await store.sendContext(direct, b))?.me.readSeq).toBe(2_050);
      await expect(seedMessages(store, { ...plan, messages: 1, conversations: [] })).rejects.toThrow(
        /senders/,
      );
    }, 60_000);
  });
}
