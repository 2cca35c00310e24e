import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendAvailable } from '../../../test/helpers/backends.js';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/sql-databases.js';
import { momentsMigrations } from './moments.migrations.js';
import { PointerWriter } from './moments.pointers.js';
import { MomentsStore, type TimelineRow } from './moments.repository.js';

/**
 * The fan-out's pointer INSERTs (moments.pointers.ts) on every engine: a short batch filled up
 * to its statement's rows with its last pointer again writes each pointer once, and pointers
 * already there (a pull wrote them) are left as they are.
 */
for (const engine of ['sqlite', 'mysql', 'postgres'] as const) {
  const ok = engine === 'sqlite' || (await backendAvailable(engine));

  describe.skipIf(!ok)(`moments fan-out pointers on ${engine}`, () => {
    let t: TestDatabase;
    let store: MomentsStore;
    beforeAll(async () => {
      t = await openTestDatabase(engine);
      await t.sql.migrate('moments', momentsMigrations);
      store = MomentsStore.of(t.sql);
    });
    afterAll(() => t?.dispose());

    const row = (viewer: number, post: number): TimelineRow => ({
      viewerId: String(viewer),
      momentId: String(post),
      authorId: '7',
    });
    const feedOf = async (viewer: number) =>
      (await store.posts.timeline(String(viewer), '', 100)).map((r) => `${r.momentId}/${r.authorId}`);

    it('writes each pointer once, filled batches and pointers already there included', async () => {
      const w = new PointerWriter(store.db, store.engine, 8);
      await store.posts.addPointers([row(3, 100)]); // pulled before the fan-out came
      // 11 pointers: a batch of 8, then 3 filled up to 4 with the last one again.
      await w.write([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((v) => row(v, 100)));
      await w.write([row(1, 101), row(2, 101), row(3, 101)]);
      for (const v of [1, 2, 3]) expect(await feedOf(v)).toEqual(['101/7', '100/7']);
      for (const v of [4, 9, 11]) expect(await feedOf(v)).toEqual(['100/7']);
      expect(await feedOf(12)).toEqual([]);
    });
  });
}
