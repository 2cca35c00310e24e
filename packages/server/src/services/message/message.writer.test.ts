import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteSql } from '../../adapters/sql/sqlite.sql.js';
import { isUniqueViolation, type SqlDatabase } from '../../adapters/sql/sql.js';
import { backendAvailable } from '../../../test/helpers/backends.js';
import { directConversation } from '../../../test/helpers/message-fixtures.js';
import { openTestDatabase, silentLogger, type TestDatabase } from '../../../test/helpers/sql-databases.js';
import { messageMigrations } from './message.migrations.js';
import type { MessageRow } from './message.tables.js';
import { MessageWriter } from './message.writer.js';
import { createMessageStore } from './store/create-message-store.js';
import type { MessageStore } from './store/message-store.js';
import type { CommitTx } from './store/rows.js';

/** The engine's real store, counting the transactions it opens (and in which event-loop turn). */
function counting(store: MessageStore) {
  const counted = Object.assign(store, { transactions: 0, turns: [] as number[], turn: 0 });
  const groupCommit = store.groupCommit.bind(store);
  counted.groupCommit = <T>(fn: (tx: CommitTx) => Promise<T>): Promise<T> => {
    counted.transactions++;
    counted.turns.push(counted.turn);
    return groupCommit(fn);
  };
  return counted;
}

let nextId = 1000;
const row = (convId: string, senderId: string, clientMsgId: string): MessageRow => ({
  convId,
  seq: 0,
  id: String(nextId++),
  senderId,
  clientMsgId,
  type: 1,
  content: '{"text":"hi"}',
  replyToSeq: 0,
  mentions: [],
  mentionAll: false,
  createdAt: Date.now(),
  recalledAt: null,
});

const engines = ['sqlite', 'mysql', 'postgres'] as const;

for (const engine of engines) {
  const ok = engine === 'sqlite' || (await backendAvailable(engine));
  describe.skipIf(!ok)(`group commit of new messages on ${engine}`, () => {
    let sql: SqlDatabase;
    let testDb: TestDatabase | undefined;
    let repo: ReturnType<typeof counting>;
    let writer: MessageWriter;

    beforeAll(async () => {
      if (engine === 'sqlite') sql = await openSqliteSql(':memory:', silentLogger());
      else sql = (testDb = await openTestDatabase(engine)).sql;
      await sql.migrate('msg', messageMigrations);
      repo = counting(createMessageStore(sql));
      writer = new MessageWriter(repo);
      await directConversation(repo, '11', ['1', '2']);
      await directConversation(repo, '12', ['1', '2']);
    });

    afterAll(async () => {
      if (testDb) await testDb.dispose();
      else await sql?.close();
    });

    it('stores sends that arrive together in one transaction, seqs gapless per conversation', async () => {
      const before = repo.transactions;
      const rows = Array.from({ length: 30 }, (_, i) =>
        row(i % 3 ? '11' : '12', String((i % 2) + 1), `a${i}`),
      );
      await Promise.all(rows.map((r) => writer.store(r)));
      expect(repo.transactions - before).toBe(1);
      const seqs11 = rows.filter((r) => r.convId === '11').map((r) => r.seq);
      const seqs12 = rows.filter((r) => r.convId === '12').map((r) => r.seq);
      // In arrival order, no gaps, no repeats.
      expect(seqs11).toEqual(seqs11.map((_, i) => i + 1));
      expect(seqs12).toEqual(seqs12.map((_, i) => i + 1));
      expect((await repo.range('11', { after: 0, min: 1, max: 100, limit: 100 })).length).toBe(seqs11.length);
      // Each sender's read cursor is at their newest message.
      const me = await repo.member('11', '2');
      expect(me?.readSeq).toBe(
        Math.max(...rows.filter((r) => r.convId === '11' && r.senderId === '2').map((r) => r.seq)),
      );
    });

    it.skipIf(engine !== 'sqlite')(
      'starts the next transaction as soon as one ends, in the same event-loop turn',
      async () => {
        // More sends than one transaction carries. A writer that waited a turn between its
        // transactions would fall further behind with every long turn of a busy server.
        let ticking = true;
        const tick = () => {
          repo.turn++;
          if (ticking) setImmediate(tick);
        };
        setImmediate(tick);
        try {
          const from = repo.turns.length;
          const rows = Array.from({ length: 600 }, (_, i) => row('11', String((i % 2) + 1), `t${i}`));
          await Promise.all(rows.map((r) => writer.store(r)));
          const used = repo.turns.slice(from);
          expect(used.length).toBeGreaterThanOrEqual(3);
          expect(new Set(used).size).toBe(1);
        } finally {
          ticking = false;
        }
      },
    );

    it('a retry inside a batch gets the unique violation; the others of the batch are stored', async () => {
      const head = (await repo.conversation('11'))!.lastSeq;
      const retry = row('11', '2', 'a1'); // stored by the previous test (same sender and client id)
      const fresh = [row('11', '1', 'b1'), row('11', '2', 'b2'), row('11', '1', 'b3')];
      const results = await Promise.allSettled([
        writer.store(fresh[0]!),
        writer.store(retry),
        writer.store(fresh[1]!),
        writer.store(fresh[2]!),
      ]);
      expect(results[1]!.status).toBe('rejected');
      expect(isUniqueViolation((results[1] as PromiseRejectedResult).reason)).toBe(true);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
      expect(fresh.map((r) => r.seq)).toEqual([head + 1, head + 2, head + 3]);
      expect((await repo.conversation('11'))!.lastSeq).toBe(head + 3);
    });

    it('delivered cursors join the sends in one transaction, move forward only, and say whether they moved', async () => {
      const before = repo.transactions;
      const sent = row('12', '1', 'c1');
      const start = (await repo.member('12', '2'))!.deliveredSeq;
      const results = await Promise.all([
        writer.store(sent),
        writer.advanceDelivered('12', '2', start + 1),
        writer.advanceDelivered('12', '2', start + 1), // the same move twice in one batch
        writer.advanceDelivered('12', '1', 0), // behind the cursor: does not move
        writer.advanceDelivered('99', '2', 5), // no such member: nothing moves
      ]);
      expect(repo.transactions - before).toBe(1);
      expect(results.slice(1)).toEqual([true, true, false, false]);
      expect((await repo.member('12', '2'))!.deliveredSeq).toBe(start + 1);
      // Never backwards, alone or beside a retry that makes its batch fall back.
      const retry = row('12', '1', 'c1');
      const [stored, back] = await Promise.allSettled([
        writer.store(retry),
        writer.advanceDelivered('12', '2', start),
      ]);
      expect(stored.status).toBe('rejected');
      expect(back).toEqual({ status: 'fulfilled', value: false });
      expect((await repo.member('12', '2'))!.deliveredSeq).toBe(start + 1);
    });

    it('keeps snowflake ids that differ only in their low bits apart (no DOUBLE comparison)', async () => {
      const conv = '384785105459081300';
      const [u1, u2] = ['384785105459081218', '384785105459081219'];
      await directConversation(repo, conv, [u1, u2]);
      const sent = [row(conv, u1, 'big-1'), row(conv, u1, 'big-2')];
      await Promise.all(sent.map((r) => writer.store(r)));
      expect(sent.map((r) => r.seq)).toEqual([1, 2]);
      expect(await writer.advanceDelivered(conv, u2, 1)).toBe(true);
      const [m1, m2] = [(await repo.member(conv, u1))!, (await repo.member(conv, u2))!];
      expect([m1.readSeq, m1.deliveredSeq]).toEqual([2, 2]);
      expect([m2.readSeq, m2.deliveredSeq]).toEqual([0, 1]);
    });

    it('skips a send whose caller stopped waiting before its transaction began', async () => {
      const { runInRequest } = await import('../../kernel/request-context.js');
      const head = (await repo.conversation('12'))!.lastSeq;
      const late = runInRequest({ requestId: 'r', deadline: performance.now() - 1 }, () =>
        writer.store(row('12', '1', 'late')),
      );
      await expect(late).rejects.toMatchObject({ code: 4 }); // DEADLINE_EXCEEDED
      expect((await repo.conversation('12'))!.lastSeq).toBe(head);
      expect(await repo.messageByClientId('1', 'late')).toBeUndefined();
    });
  });
}
