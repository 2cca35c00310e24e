import { statSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDatabase, silentLogger, type TestDatabase } from '../../../test/helpers/sql-databases.js';
import { threadNices } from '../../../test/helpers/thread-nices.js';
import { SqlSearchIndex } from './search.index.js';
import { ThreadedSearchIndex } from './search.index-threaded.js';
import { searchMigrations } from './search.migrations.js';
import type { IndexDoc } from './search.port.js';
import { parseQuery } from './search.text.js';

/** The index written on its own thread (SQLite): the WAL kept within its bound, a restart. */
describe('search index written on its thread', () => {
  let t: TestDatabase;
  let reads: SqlSearchIndex;
  let threads: ThreadedSearchIndex[] = [];
  const docs = (from: number, n: number): IndexDoc[] =>
    Array.from({ length: n }, (_, i) => ({
      convId: '1000',
      seq: from + i,
      msgId: String(100_000 + from + i),
      senderId: '7',
      type: 1,
      createdAt: 1_700_000_000_000 + (from + i) * 1000,
      text: `第${from + i}条消息 公园 word${from + i}`,
    }));
  const thread = (walBoundBytes?: number, nice?: number) => {
    const index = new ThreadedSearchIndex(reads, { url: t.url, walBoundBytes, nice }, silentLogger());
    threads.push(index);
    return index;
  };
  const walBytes = () => statSync(`${t.url.slice('sqlite:'.length)}-wal`).size;

  beforeEach(async () => {
    t = await openTestDatabase('sqlite');
    await t.sql.migrate('search', searchMigrations('sqlite'));
    reads = new SqlSearchIndex(t.sql);
    threads = [];
  });
  afterEach(async () => {
    for (const i of threads) await i.close();
    await t?.dispose();
  });

  it('empties the WAL after a write that took it past its bound, and not before', async () => {
    const loose = thread();
    expect(await loose.write({ add: docs(1, 500), remove: [] })).toBe(true);
    expect(walBytes()).toBeGreaterThan(0);
    await loose.close();
    const bounded = thread(1);
    expect(await bounded.write({ add: docs(501, 500), remove: [] })).toBe(true);
    expect(walBytes()).toBe(0);
    expect((await reads.size()).docs).toBe(1000);
  });

  it('starts the thread again for the next write after it was closed', async () => {
    const index = thread();
    expect(await index.swapState('cursor', '', 'a')).toBe(true);
    await index.close();
    expect(await index.swapState('cursor', 'b', 'c')).toBe(false);
    expect(
      await index.write({ add: docs(1, 3), remove: [] }, { name: 'cursor', expect: 'a', next: 'd' }),
    ).toBe(true);
    expect(await index.state('cursor')).toBe('d');
    const hits = await index.find(
      parseQuery('公园'),
      { windows: [{ convId: '1000', firstSeq: 1 }] },
      { order: 'seq', limit: 5 },
    );
    expect(hits.map((h) => h.seq)).toEqual([3, 2, 1]);
    await index.clear();
    expect((await index.size()).docs).toBe(0);
  });

  // The tests may run niced themselves (`nice -n 10 npx vitest`): the thread is asked for 19.
  it.runIf(process.platform === 'linux')(
    'runs at its nice value, and only it and the threads it starts (Linux)',
    async () => {
      const before = threadNices();
      const base = before.get(process.pid)!;
      expect(base).toBeLessThan(19);
      const plain = thread();
      expect(await plain.write({ add: docs(1, 3), remove: [] })).toBe(true);
      expect([...threadNices().values()].filter((n) => n === 19)).toEqual([]);
      await plain.close();

      const niced = thread(undefined, 19);
      expect(await niced.write({ add: docs(4, 3), remove: [] })).toBe(true);
      const after = threadNices();
      const lowered = [...after].filter(([tid, n]) => n === 19 && !before.has(tid));
      // The index thread and the checkpoint thread of its connection.
      expect(lowered.length).toBeGreaterThanOrEqual(1);
      expect(after.get(process.pid)).toBe(base);
      for (const [tid, n] of before) if (after.has(tid)) expect(after.get(tid)).toBe(n);
      expect((await reads.size()).docs).toBe(6);
    },
  );
});
