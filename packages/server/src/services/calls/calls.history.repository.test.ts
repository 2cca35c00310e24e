import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendAvailable } from '../../../test/helpers/backends.js';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/sql-databases.js';
import { CallHistoryRepository, callsMigrations, type HistoryRow } from './calls.history.repository.js';

/** Call history on every engine: one row per user and call, newest first, a retried end kept once. */
for (const engine of ['sqlite', 'mysql', 'postgres'] as const) {
  const ok = engine === 'sqlite' || (await backendAvailable(engine));

  describe.skipIf(!ok)(`call history on ${engine}`, () => {
    let t: TestDatabase;
    let repo: CallHistoryRepository;
    // Ids past 2^53: they must survive every driver as strings.
    const big = (n: number) => (9_007_199_254_740_993n + BigInt(n)).toString();
    const row = (user: number, call: number, over: Partial<HistoryRow> = {}): HistoryRow => ({
      userId: big(user),
      callId: big(call),
      conversationId: big(500),
      media: 2,
      initiatorId: big(1),
      endReason: 1,
      answered: true,
      group: false,
      startedAt: 1_800_000_000_000 + call,
      durationMs: 61_000,
      ...over,
    });

    beforeAll(async () => {
      t = await openTestDatabase(engine);
      await t.sql.migrate('calls', callsMigrations);
      repo = new CallHistoryRepository(t.sql);
    });
    afterAll(() => t?.dispose());

    it('pages one user’s calls newest first', async () => {
      await repo.record([row(1, 100), row(2, 100, { answered: false, durationMs: 0, endReason: 4 })]);
      await repo.record([row(1, 101, { group: true, media: 1 }), row(1, 102)]);
      const first = await repo.page(big(1), '', 2);
      expect(first.map((r) => r.callId)).toEqual([big(102), big(101)]);
      expect(first[1]).toMatchObject({ group: true, media: 1, answered: true, durationMs: 61_000 });
      const rest = await repo.page(big(1), big(101), 2);
      expect(rest.map((r) => r.callId)).toEqual([big(100)]);
      expect(await repo.page(big(2), '', 10)).toEqual([
        row(2, 100, { answered: false, durationMs: 0, endReason: 4 }),
      ]);
      expect(await repo.page(big(3), '', 10)).toEqual([]);
    });

    it('keeps the first rows of a call recorded twice', async () => {
      await repo.record([row(4, 200)]);
      await repo.record([row(4, 200, { durationMs: 1 })]);
      expect((await repo.page(big(4), '', 10)).map((r) => r.durationMs)).toEqual([61_000]);
    });
  });
}
