import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { backendAvailable } from '../../../test/helpers/backends.js';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/sql-databases.js';
import { postingsInKeyOrder, SqlSearchIndex } from './search.index.js';
import type { IndexDoc } from './search.port.js';
import { searchMigrations } from './search.migrations.js';
import { parseQuery } from './search.text.js';

/**
 * On PostgreSQL a merge of the recent postings commits beside the indexers' batches (a pool of
 * connections, other processes). A statement trigger that sleeps once holds a merge open after
 * it moved its chunk, and another write runs meanwhile: nothing it adds may be lost, nothing it
 * removes may stay behind.
 */
const conv = '9007199254740993';
const docs: IndexDoc[] = ['公园散步', '开会讨论预算', '快递到了', '项目上线', '天气不错', '客户合同'].map(
  (text, i) => ({
    convId: conv,
    seq: i + 1,
    msgId: String(9_007_199_254_750_000n + BigInt(i)),
    senderId: '9007199254741100',
    type: 1,
    createdAt: 1_700_000_000_000 + i,
    text,
  }),
);
const keyOf = (r: { token: unknown; conv_id: unknown; seq: unknown }) =>
  `${String(r.token)} ${String(r.conv_id)} ${String(r.seq)}`;

describe.skipIf(!(await backendAvailable('postgres')))(
  'merging recent postings on PostgreSQL beside other writes',
  () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await openTestDatabase('postgres');
      await t.sql.migrate('search', searchMigrations('postgres'));
      await sql`create function search_test_pause() returns trigger language plpgsql as $$
      begin perform pg_sleep(1); return null; end $$`.execute(t.sql.db);
    });
    afterAll(() => t?.dispose());
    afterEach(async () => {
      await sql`drop trigger if exists search_test_pause on search_postings`.execute(t.sql.db);
      await new SqlSearchIndex(t.sql).clear();
    });

    const all = async () => {
      const rows = [];
      for (const table of ['search_postings', 'search_postings_new'])
        rows.push(...(await t.sql.db.selectFrom(table).select(['token', 'conv_id', 'seq']).execute()));
      return rows.map(keyOf).sort();
    };
    const expected = (of: IndexDoc[]) =>
      postingsInKeyOrder(of)
        .map((p) => keyOf({ token: p.token, conv_id: p.convId, seq: p.seq }))
        .sort();
    /** Starts a merge of everything recent and resolves once it sleeps, its chunk moved, uncommitted. */
    const mergeHeldOpen = async (index: SqlSearchIndex) => {
      await sql`create trigger search_test_pause after insert on search_postings
      for each statement execute function search_test_pause()`.execute(t.sql.db);
      const merging = index.merge();
      for (;;) {
        const { rows } = await sql<{ n: string }>`select count(*) as n from pg_stat_activity
        where datname = current_database() and wait_event = 'PgSleep'`.execute(t.sql.db);
        if (Number(rows[0]!.n) > 0) return { merging };
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    // No merge of their own: only the one the test holds open.
    /**
     * An index that merges only when told: its first write finds no recent postings (one that
     * finds some counts them as a full table and merges after its batch).
     */
    const unmerged = async () => {
      const index = new SqlSearchIndex(t.sql, { mergeEveryDocs: 1_000_000, mergeChunk: 1_000_000 });
      expect(await t.sql.db.selectFrom('search_postings_new').select('token').execute()).toEqual([]);
      await index.write({ add: [], remove: [] });
      return index;
    };

    it('keeps the postings a batch commits while a merge is moving the recent ones', async () => {
      const index = await unmerged();
      await index.write({ add: docs.slice(0, 3), remove: [] });
      const { merging } = await mergeHeldOpen(index);
      // Committed while the merge sleeps: its keys sort among the ones being moved.
      expect(await index.write({ add: docs.slice(3), remove: [] })).toBe(true);
      await merging;
      expect(await all()).toEqual(expected(docs));
      const hits = await index.find(
        parseQuery('合同'),
        { windows: [{ convId: conv, firstSeq: 1 }] },
        { order: 'seq', limit: 5 },
      );
      expect(hits.map((h) => h.seq)).toEqual([6]);
    });

    it('leaves no posting of a document removed while a merge is moving its postings', async () => {
      const index = await unmerged();
      await index.write({ add: docs, remove: [] });
      const { merging } = await mergeHeldOpen(index);
      // The removal waits for the merge, then finds the postings where the merge put them.
      const removing = index.write({ add: [], remove: [docs[0]!] });
      await merging;
      expect(await removing).toBe(true);
      expect(await all()).toEqual(expected(docs.slice(1)));
      expect(await index.size()).toEqual({ docs: docs.length - 1, postings: expected(docs.slice(1)).length });
    });

    it('gives an index made before PostgreSQL had recent postings the table at its next start', async () => {
      // Written straight into the main table, as every PostgreSQL index was before 0003 applied to it.
      await new SqlSearchIndex(t.sql, { mergeEveryDocs: 0 }).write({ add: docs.slice(0, 3), remove: [] });
      await sql`drop table search_postings_new`.execute(t.sql.db);
      await sql`delete from search_migrations where name = '0003_postings_delta'`.execute(t.sql.db);
      await t.sql.migrate('search', searchMigrations('postgres'));
      const index = await unmerged();
      await index.write({ add: docs.slice(3), remove: [] });
      expect(
        (await t.sql.db.selectFrom('search_postings_new').select('token').execute()).length,
      ).toBeGreaterThan(0);
      expect(await all()).toEqual(expected(docs));
      const scope = { windows: [{ convId: conv, firstSeq: 1 }] };
      const seqs = async (q: string) =>
        (await index.find(parseQuery(q), scope, { order: 'seq', limit: 5 })).map((h) => h.seq);
      expect(await seqs('公园')).toEqual([1]);
      expect(await seqs('合同')).toEqual([6]);
    });

    it('vacuums the recent postings each time a merge empties them', async () => {
      const vacuums = async () => {
        await sql`select pg_stat_clear_snapshot()`.execute(t.sql.db);
        const { rows } = await sql<{ n: string }>`select vacuum_count as n from pg_stat_user_tables
        where relname = 'search_postings_new'`.execute(t.sql.db);
        return Number(rows[0]!.n);
      };
      const index = await unmerged();
      const before = await vacuums();
      await index.write({ add: docs.slice(0, 3), remove: [] });
      await index.merge();
      expect(await vacuums()).toBe(before + 1);
      // A merge that leaves postings behind (it moved what it was asked to) does not vacuum.
      await index.write({ add: docs.slice(3), remove: [] });
      const chunked = new SqlSearchIndex(t.sql, { mergeEveryDocs: 1_000_000, mergeChunk: 2 });
      await chunked.merge(1);
      expect(await vacuums()).toBe(before + 1);
    });

    it('refuses nothing and loses nothing when two merges run at once', async () => {
      const index = new SqlSearchIndex(t.sql, { mergeEveryDocs: 1_000_000, mergeChunk: 4 });
      await index.write({ add: docs, remove: [] });
      await Promise.all([
        index.merge(),
        new SqlSearchIndex(t.sql, { mergeEveryDocs: 1, mergeChunk: 3 }).merge(),
      ]);
      expect(await t.sql.db.selectFrom('search_postings_new').select('token').execute()).toEqual([]);
      expect(await all()).toEqual(expected(docs));
    });
  },
);
