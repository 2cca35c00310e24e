import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../../../adapters/sql/sql.js';
import { openSqliteSql } from '../../../adapters/sql/sqlite.sql.js';
import { backendAvailable } from '../../../../test/helpers/backends.js';
import { openTestDatabase, silentLogger, type TestDatabase } from '../../../../test/helpers/sql-databases.js';
import { messageMigrations } from '../message.migrations.js';
import { IndexFeedQueries } from '../message.index-feed.queries.js';
import { CONV_GROUP } from '../message.tables.js';
import { createMessageStore } from './create-message-store.js';
import type { MessageStore } from './message-store.js';

/**
 * The per-member state of records (delete for me, clear history, drafts), the same
 * assertions on every engine.
 */
const engines = ['sqlite', 'postgres', 'mysql'] as const;

let next = 384785105459191000n;
const id = () => String(next++);

for (const engine of engines) {
  const ok = engine === 'sqlite' || (await backendAvailable(engine));
  describe.skipIf(!ok)(`record state on ${engine}`, () => {
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

    async function group(members: string[], lastSeq = 10) {
      const conv = id();
      await store.insertConversation(store.db, {
        id: conv,
        type: CONV_GROUP,
        direct_key: null,
        name: 'G',
        muted_all: 0,
        last_seq: lastSeq,
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

    it('hides seqs per member, idempotently, and counts them above a cleared point', async () => {
      const [a, b] = [id(), id()];
      const conv = await group([a, b]);
      await store.hide(conv, a, [3, 5, 7]);
      await store.hide(conv, a, [5, 7, 8]);
      expect([...(await store.hiddenAmong(conv, a, [1, 3, 5, 8, 9]))].sort()).toEqual([3, 5, 8]);
      expect(await store.hiddenAmong(conv, b, [3, 5])).toEqual(new Set());
      expect(await store.hiddenCount(conv, a, 0)).toBe(4);
      expect(await store.hiddenCount(conv, a, 5)).toBe(2);
      const all = await store.hiddenSeqs(a, new Map([[conv, 3]]));
      expect(all.get(conv)).toEqual([5, 7, 8]);
      expect((await store.hiddenSeqs(b, new Map([[conv, 0]]))).get(conv)).toBeUndefined();
    });

    it('clears forward only, forgets the hidden seqs it covers, leaves the others alone', async () => {
      const [a, b] = [id(), id()];
      const conv = await group([a, b]);
      await store.hide(conv, a, [2, 9]);
      await store.hide(conv, b, [2]);
      await store.transaction((tx) => store.clearUpTo(tx, conv, a, 6));
      await store.transaction((tx) => store.clearUpTo(tx, conv, a, 4));
      expect((await store.member(conv, a))?.clearedSeq).toBe(6);
      expect((await store.member(conv, b))?.clearedSeq).toBe(0);
      expect((await store.membership(conv, a))?.me.clearedSeq).toBe(6);
      expect([...(await store.hiddenAmong(conv, a, [2, 9]))]).toEqual([9]);
      expect([...(await store.hiddenAmong(conv, b, [2]))]).toEqual([2]);
    });

    it('keeps drafts per member, last writer wins, empty deletes', async () => {
      const [a, b] = [id(), id()];
      const c1 = await group([a, b]);
      const c2 = await group([a]);
      expect(await store.transaction((tx) => store.putDraft(tx, c1, a, 'hello', 100))).toBe(true);
      expect(await store.transaction((tx) => store.putDraft(tx, c1, a, 'older', 50))).toBe(false);
      expect(await store.transaction((tx) => store.putDraft(tx, c2, a, '草稿', 70))).toBe(true);
      let d = await store.drafts(a, [c1, c2]);
      expect(d.get(c1)).toEqual({ text: 'hello', updatedAt: 100 });
      expect(d.get(c2)).toEqual({ text: '草稿', updatedAt: 70 });
      expect((await store.drafts(b, [c1])).size).toBe(0);
      expect(await store.transaction((tx) => store.putDraft(tx, c1, a, 'newer', 100))).toBe(true);
      expect((await store.drafts(a, [c1])).get(c1)?.text).toBe('newer');
      expect(await store.transaction((tx) => store.putDraft(tx, c1, a, '', 200))).toBe(true);
      d = await store.drafts(a, [c1, c2]);
      expect(d.has(c1)).toBe(false);
      expect(await store.drafts(a, [])).toEqual(new Map());
    });

    it('gives the search feed windows that start after the clear and name the hidden seqs', async () => {
      const [a, b] = [id(), id()];
      const conv = await group([a, b]);
      await store.hide(conv, a, [2, 8]);
      await store.transaction((tx) => store.clearUpTo(tx, conv, a, 4));
      await store.hide(conv, a, [9]);
      const feed = new IndexFeedQueries(sql);
      expect(await feed.windows(a, conv)).toEqual([
        { convId: conv, type: CONV_GROUP, firstSeq: 5, lastSeq: 10, left: false, hiddenSeqs: [8, 9] },
      ]);
      expect((await feed.windows(b, conv))[0]).toMatchObject({ firstSeq: 1, hiddenSeqs: [] });
    });
  });
}
