import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteSql } from '../../adapters/sql/sqlite.sql.js';
import type { SqlDatabase } from '../../adapters/sql/sql.js';
import { createIdGenerator } from '../../kernel/ids.js';
import { backendAvailable } from '../../../test/helpers/backends.js';
import { openTestDatabase, silentLogger, type TestDatabase } from '../../../test/helpers/sql-databases.js';
import { seedSquareBoard } from './square.bench-seed.js';
import { squareMigrations } from './square.migrations.js';
import { hotKey } from './square.ranking.js';
import { SquareStore } from './square.repository.js';

const engines = ['sqlite', 'mysql', 'postgres'] as const;

for (const engine of engines) {
  const ok = engine === 'sqlite' || (await backendAvailable(engine));
  describe.skipIf(!ok)(`the square benchmark's bulk seed on ${engine}`, () => {
    let sql: SqlDatabase;
    let testDb: TestDatabase | undefined;
    let store: SquareStore;

    beforeAll(async () => {
      if (engine === 'sqlite') sql = await openSqliteSql(':memory:', silentLogger());
      else sql = (testDb = await openTestDatabase(engine)).sql;
      await sql.migrate('square', squareMigrations);
      store = SquareStore.of(sql);
    });

    afterAll(async () => {
      if (testDb) await testDb.dispose();
      else await sql?.close();
    });

    const plan = { threads: 2_100, replies: 9_000, authorIds: ['11', '12', '13'], sample: 50, now: 1.8e12 };

    it('writes what the service would have: counts, floors, first posts, hot scores, last replies', async () => {
      const out = await seedSquareBoard(store, createIdGenerator(7), plan);
      expect(out).toMatchObject({ threads: 2_100, replies: 9_000 });
      expect((await store.board(out.boardId))!.threadCount).toBe(2_100);

      const threads = await store.page(out.boardId, 'new', undefined, 3_000);
      expect(threads).toHaveLength(2_100);
      expect(threads.reduce((n, t) => n + t.replyCount, 0)).toBe(9_000);
      // Skewed: the longest thread holds far more than the average of ~4.
      expect(Math.max(...threads.map((t) => t.replyCount))).toBeGreaterThan(100);
      // Newest first by id is newest first by creation time too.
      for (let i = 1; i < threads.length; i++)
        expect(threads[i]!.createdAt).toBeLessThan(threads[i - 1]!.createdAt);

      for (const t of [threads[0]!, threads[1]!, threads[1_000]!, threads[2_099]!]) {
        const posts = await store.posts(t.id, 0, 10_000);
        expect(posts.map((p) => p.floor)).toEqual(Array.from({ length: t.replyCount + 1 }, (_, i) => i));
        expect(posts[0]!.id).toBe(t.firstPostId);
        expect(t.postSeq).toBe(t.replyCount + 1);
        expect(t.lastReplyAt).toBe(posts[posts.length - 1]!.createdAt);
        expect(t.lastReplyAt).toBeLessThan(plan.now);
        expect(t.hot).toBe(hotKey(0, t.replyCount, t.createdAt));
        expect(posts[0]!.html).toContain('<strong>board</strong>');
        expect(plan.authorIds).toContain(posts[posts.length - 1]!.authorId);
      }

      // The sample names real threads with their reply counts.
      expect(out.sample).toHaveLength(50);
      const byId = new Map(threads.map((t) => [t.id, t.replyCount]));
      for (const s of out.sample) expect(byId.get(s.id)).toBe(s.replies);

      // The service goes on from there: the next reply takes the next floor.
      const t0 = threads[0]!;
      const bumped = await store.transaction((tx) => tx.bump(t0.id, { replies: 1, floor: true }));
      expect(bumped.postSeq - 1).toBe(t0.replyCount + 1);
    });

    it('is deterministic: the same plan gives the same board again', async () => {
      const shape = async (boardId: string) =>
        (await store.page(boardId, 'new', undefined, 3_000)).map((t) => t.replyCount);
      const a = await seedSquareBoard(store, createIdGenerator(8), { ...plan, threads: 300, replies: 900 });
      const b = await seedSquareBoard(store, createIdGenerator(9), { ...plan, threads: 300, replies: 900 });
      expect(await shape(a.boardId)).toEqual(await shape(b.boardId));
    });

    it('refuses a seed without authors', async () => {
      await expect(seedSquareBoard(store, createIdGenerator(10), { ...plan, authorIds: [] })).rejects.toThrow(
        /authors/,
      );
    });
  });
}
