import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backendAvailable } from '../../../test/helpers/backends.js';
import type { Logger } from '../../kernel/logger.js';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/sql-databases.js';
import { PREFIX_WORDS_MAX } from './search.index-plan.js';
import { COUNT_CAP, IndexQueries } from './search.index-query.js';
import { postingsInKeyOrder, SqlSearchIndex, type SqlIndexOptions } from './search.index.js';
import { docKey, docTokens, type IndexDoc, type ReadWindow, type SearchIndex } from './search.port.js';
import { searchMigrations } from './search.migrations.js';
import { matches, parseQuery } from './search.text.js';

/**
 * The conformance suite of the search index: one corpus, the same answers on SQLite,
 * PostgreSQL and MariaDB. Ids past 2^53 prove they travel exactly on every driver.
 */
const big = (n: number) => (9_007_199_254_740_993n + BigInt(n)).toString();
const [A, B, C] = [big(1), big(2), big(3)];
const [ALICE, BOB] = [big(100), big(101)];
const TEXT = 1;
const IMAGE = 2;
const FILE = 5;

const texts: [string, number, string, string][] = [
  // conversation, seq, sender, text
  [A, 1, ALICE, '我们周末去公园散步吧'],
  [A, 2, BOB, 'Token消耗太大了，得换个便宜的模型'],
  [A, 3, ALICE, '這份資料很重要，請保存'],
  [A, 4, BOB, 'Meeting at 3pm tomorrow about the roadmap'],
  [A, 5, ALICE, '订单号 20240518 已发货'],
  [A, 6, BOB, '今天好开心😀🎉'],
  [A, 7, ALICE, '你好，世界！'],
  [A, 8, BOB, '天安 北京 安门'],
  [B, 1, ALICE, '公园门口见'],
  [B, 2, BOB, 'meetings are long'],
  [B, 3, ALICE, '去天安门广场'],
  [C, 1, BOB, '公园里人很多'],
];
const corpus: IndexDoc[] = texts.map(([convId, seq, senderId, text], i) => ({
  convId,
  seq,
  msgId: big(1000 + i),
  senderId,
  type: TEXT,
  createdAt: 1_700_000_000_000 + i * 1000,
  text,
}));
corpus.push({
  convId: B,
  seq: 4,
  msgId: big(2000),
  senderId: BOB,
  type: FILE,
  createdAt: 1_700_000_100_000,
  text: '季度报告.pdf',
});
corpus.push({
  convId: B,
  seq: 5,
  msgId: big(2001),
  senderId: BOB,
  type: IMAGE,
  createdAt: 1_700_000_101_000,
  text: '',
});

const everywhere: ReadWindow[] = [A, B, C].map((convId) => ({ convId, firstSeq: 1 }));

/** PostgreSQL index queries on a connection of their own that records every statement's SQL. */
async function withLoggedQueries(
  url: string,
  fn: (queries: IndexQueries, statements: string[]) => Promise<void>,
): Promise<void> {
  const statements: string[] = [];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const logged = new Kysely<any>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }),
    log: (e) => statements.push(e.query.sql),
  });
  try {
    await fn(new IndexQueries(logged, 'postgres'), statements);
  } finally {
    await logged.destroy();
  }
}
const key = (d: { convId: string; seq: number }) =>
  `${d.convId === A ? 'A' : d.convId === B ? 'B' : d.convId === C ? 'C' : 'D'}${d.seq}`;

describe('postings in key order', () => {
  it('are every token of every document once, sorted by token, conversation and seq', () => {
    const docs = [corpus[3]!, corpus[0]!, corpus[8]!, corpus[11]!];
    const postings = postingsInKeyOrder(docs);
    const keyOf = (p: { token: string; convId: string; seq: number }) =>
      [p.token, p.convId.padStart(20, '0'), String(p.seq).padStart(10, '0')].join(' ');
    expect(postings.map(keyOf)).toEqual(postings.map(keyOf).sort());
    const expected = docs.flatMap((d) =>
      docTokens(d).map((token) => ({ token, convId: d.convId, seq: d.seq })),
    );
    expect(postings.map(keyOf).sort()).toEqual(expected.map(keyOf).sort());
    expect(postings.filter((p) => p.token === '园').map(key)).toEqual(['A1', 'B1', 'C1']);
  });
});

// SQLite three ways: postings straight into the main table; all of them still among the recent
// postings (never merged); merged a few documents at a time in chunks of a few postings, so that
// a document's postings are split between both tables while the queries run.
const variants: { engine: 'sqlite' | 'mysql' | 'postgres'; name: string; options?: SqlIndexOptions }[] = [
  { engine: 'sqlite', name: 'sqlite' },
  { engine: 'sqlite', name: 'sqlite, recent postings unmerged', options: { mergeEveryDocs: 1_000_000 } },
  {
    engine: 'sqlite',
    name: 'sqlite, merging in small chunks',
    options: { mergeEveryDocs: 3, mergeChunk: 7 },
  },
  { engine: 'mysql', name: 'mysql' },
  { engine: 'postgres', name: 'postgres' },
];

for (const { engine, name, options } of variants) {
  const ok = engine === 'sqlite' || (await backendAvailable(engine));

  describe.skipIf(!ok)(`search index on ${name}`, () => {
    let t: TestDatabase;
    let index: SearchIndex;
    const find = async (query: string, windows = everywhere, extra = {}) => {
      const q = parseQuery(query);
      const hits = await index.find(q, { windows, ...extra }, { order: 'time', limit: 50 });
      // The final check the service makes: it must never remove anything the index returned
      // for a one- or two-character run, and it removes nothing here either.
      return hits.filter((h) => matches(q, h.text)).map(key);
    };

    beforeAll(async () => {
      t = await openTestDatabase(engine);
      await t.sql.migrate('search', searchMigrations(engine));
      index = new SqlSearchIndex(t.sql, options);
      expect(await index.write({ add: corpus, remove: [] })).toBe(true);
    });
    afterAll(() => t?.dispose());

    it('finds 1-, 2- and 3+-character Chinese, newest first', async () => {
      expect(await find('园')).toEqual(['C1', 'B1', 'A1']);
      expect(await find('公园')).toEqual(['C1', 'B1', 'A1']);
      expect(await find('去公园散步')).toEqual(['A1']);
      expect(await find('门口')).toEqual(['B1']);
    });

    it('answers a pair chain only where the run is really there', async () => {
      // A8 holds 天安 and 安门 apart: the index itself leaves it out (folded-text check).
      const raw = await index.find(
        parseQuery('天安门'),
        { windows: everywhere },
        { order: 'time', limit: 50 },
      );
      expect(raw.map(key)).toEqual(['B3']);
    });

    it('finds mixed text, Traditional by Simplified, words by prefix and numbers', async () => {
      expect(await find('Token消耗')).toEqual(['A2']);
      expect(await find('资料')).toEqual(['A3']);
      expect(await find('資料')).toEqual(['A3']);
      expect(await find('meet')).toEqual(['B2', 'A4']);
      expect(await find('MEETINGS')).toEqual(['B2']);
      expect(await find('tomorrow roadmap')).toEqual(['A4']);
      expect(await find('map')).toEqual([]);
      expect(await find('2024')).toEqual(['A5']);
      expect(await find('季度')).toEqual(['B4']);
      expect(await find('pdf')).toEqual(['B4']);
    });

    it('finds nothing for an emoji-only query or punctuation', async () => {
      expect(await find('😀')).toEqual([]);
      expect(await find('，！')).toEqual([]);
      expect(await find('开心😀')).toEqual(['A6']);
      expect(await find('你好，世界')).toEqual(['A7']);
    });

    it('keeps to the read windows: joined later, left, never there', async () => {
      const joinedLater: ReadWindow[] = [{ convId: A, firstSeq: 3 }];
      expect(await find('公园', joinedLater)).toEqual([]);
      expect(await find('资料', joinedLater)).toEqual(['A3']);
      const left: ReadWindow[] = [{ convId: A, firstSeq: 1, lastSeq: 2 }];
      expect(await find('资料', left)).toEqual([]);
      expect(await find('token', left)).toEqual(['A2']);
      expect(await find('公园', [{ convId: C, firstSeq: 1 }])).toEqual(['C1']);
      expect(await find('公园', [])).toEqual([]);
    });

    it('filters by sender, type and time', async () => {
      expect(await find('公园', everywhere, { senderId: BOB })).toEqual(['C1']);
      expect(await find('meet', everywhere, { types: [TEXT] })).toEqual(['B2', 'A4']);
      expect(await find('报告', everywhere, { types: [TEXT] })).toEqual([]);
      expect(await find('公园', everywhere, { fromMs: corpus[8]!.createdAt })).toEqual(['C1', 'B1']);
      expect(await find('公园', everywhere, { toMs: corpus[8]!.createdAt })).toEqual(['A1']);
    });

    it('lists documents of one type by its type token', async () => {
      const q = { folded: '', runs: [], lookups: [{ exact: ['~2'] }] };
      const hits = await index.find(q, { windows: everywhere }, { order: 'time', limit: 10 });
      expect(hits.map(key)).toEqual(['B5']);
    });

    it('pages by time across conversations and by seq in one', async () => {
      const q = parseQuery('公园');
      const first = await index.find(q, { windows: everywhere }, { order: 'time', limit: 2 });
      expect(first.map(key)).toEqual(['C1', 'B1']);
      const last = first[1]!;
      const next = await index.find(q, { windows: everywhere }, { order: 'time', limit: 2, after: last });
      expect(next.map(key)).toEqual(['A1']);
      const inA = parseQuery('a');
      const seqPage = await index.find(
        inA,
        { windows: [{ convId: A, firstSeq: 1 }] },
        { order: 'seq', limit: 1, after: { convId: A, seq: 5, createdAt: 0 } },
      );
      expect(seqPage.map(key)).toEqual(['A4']);
    });

    it("merges each conversation's newest hits by time, over more windows than one statement takes", async () => {
      // 60 conversations (two statements of walks), 3 hits each, their times interleaved.
      const convs = Array.from({ length: 60 }, (_, i) => big(50_000 + i));
      const docs = convs.flatMap((convId, c) =>
        [1, 2, 3].map((seq) => ({
          ...corpus[0]!,
          convId,
          seq,
          msgId: big(60_000 + c * 3 + seq),
          text: '多窗口',
        })),
      );
      docs.forEach((d, i) => (d.createdAt = 1_800_000_000_000 + ((i * 37) % 180) * 1000 + d.seq * 200_000));
      expect(await index.write({ add: docs, remove: [] })).toBe(true);
      const windows = convs.map((convId) => ({ convId, firstSeq: 1 }));
      const q = parseQuery('多');
      const all: IndexDoc[] = [];
      for (let after: IndexDoc | undefined; ;) {
        const page = await index.find(q, { windows }, { order: 'time', limit: 7, ...(after && { after }) });
        all.push(...page);
        after = page[page.length - 1];
        if (page.length < 7) break;
      }
      const newestFirst = [...docs].sort(
        (x, y) =>
          y.createdAt - x.createdAt ||
          (x.convId === y.convId ? 0 : x.convId < y.convId ? 1 : -1) ||
          y.seq - x.seq,
      );
      expect(all.map(docKey)).toEqual(newestFirst.map(docKey));
      // A conversation's hits are taken newest seq first: an older seq dated later (no message
      // is) does not come before them, so no page reads every hit's time.
      const odd = { ...docs[0]!, createdAt: 1_900_000_000_000 };
      expect(await index.write({ add: [odd], remove: [odd] })).toBe(true);
      const one = await index.find(q, { windows: [windows[0]!] }, { order: 'time', limit: 1 });
      expect(one.map((d) => d.seq)).toEqual([3]);
      await index.write({ add: [], remove: docs });
    });

    it('counts hits per conversation, newest conversation first', async () => {
      const counts = await index.count(parseQuery('公园'), { windows: everywhere });
      expect(counts.map((c) => [key({ convId: c.convId, seq: c.lastSeq }), c.count])).toEqual([
        ['C1', 1],
        ['B1', 1],
        ['A1', 1],
      ]);
      const meet = await index.count(parseQuery('meet'), { windows: everywhere });
      expect(meet.map((c) => c.count)).toEqual([1, 1]);
      expect(await index.count(parseQuery('天安门'), { windows: everywhere })).toHaveLength(1);
    });

    it('counts exactly up to the cap and says "99+" past it, per conversation and window', async () => {
      const [E, F] = [big(5), big(6)];
      // E: 99 hits of 上限 and 101 of 超限; F: 100 of 超限 (two windows: seqs 1-50 and 51-100).
      const doc = (convId: string, seq: number, text: string): IndexDoc => ({
        ...corpus[0]!,
        convId,
        seq,
        msgId: big(70_000 + seq + (convId === F ? 1000 : 0)),
        createdAt: 1_750_000_000_000 + seq * 1000 + (convId === F ? 500 : 0),
        text,
      });
      const docs = [
        ...Array.from({ length: 200 }, (_, i) => doc(E, i + 1, i < 99 ? '上限之内' : '超限了')),
        ...Array.from({ length: 100 }, (_, i) => doc(F, i + 1, '超限了')),
      ];
      expect(await index.write({ add: docs, remove: [] })).toBe(true);
      const windows: ReadWindow[] = [
        { convId: E, firstSeq: 1 },
        { convId: F, firstSeq: 1, lastSeq: 50 },
        { convId: F, firstSeq: 51 },
      ];
      const count = async (query: string, w = windows) =>
        (await index.count(parseQuery(query), { windows: w })).map((c) => [
          c.convId === E ? 'E' : 'F',
          c.count,
          !!c.capped,
          c.lastSeq,
        ]);
      expect(await count('上限')).toEqual([['E', 99, false, 99]]);
      // The 3+-character check counts too: 超限了 in E is 101 hits, past the cap.
      expect(await count('超限了')).toEqual([
        ['E', 99, true, 200],
        ['F', 99, true, 100],
      ]);
      // F's two windows hold 50 each: 100 in all, past the cap though neither window is.
      expect(await count('超限', windows.slice(1))).toEqual([['F', 99, true, 100]]);
      expect(await count('超限', [{ convId: F, firstSeq: 2 }])).toEqual([['F', 99, false, 100]]);
      expect(await count('超限', [{ convId: F, firstSeq: 1, hiddenSeqs: [7] }])).toEqual([
        ['F', 99, false, 100],
      ]);
      await index.write({ add: [], remove: docs });
    });

    it('pages exactly as a full scan would, for every query class, over many windows', async () => {
      // 55 conversations (more walks than one statement takes), each with a mix of texts:
      // common and rare pairs, a pair chain apart, words sharing a prefix (one document with
      // several), and more distinct words of one prefix than are listed (a token range).
      const convs = Array.from({ length: 55 }, (_, i) => big(80_000 + i));
      const pool = [
        '数据库 meeting meetings meet',
        '数据 库存 meetup',
        '大数据库房',
        '图书馆数据库',
        '库数据',
        'roadmap meeting',
        '数据',
      ];
      const docs: IndexDoc[] = convs.flatMap((convId, c) =>
        Array.from({ length: 6 + (c % 5) }, (_, s) => ({
          ...corpus[0]!,
          convId,
          seq: s + 1,
          msgId: big(90_000 + c * 20 + s),
          createdAt: 1_760_000_000_000 + ((c * 7 + s * 131) % 400) * 1000 + s * 400_000,
          text: `${pool[(c + s) % pool.length]!} pfx${(c * 3 + s) % (PREFIX_WORDS_MAX + 8)}`,
        })),
      );
      expect(await index.write({ add: docs, remove: [] })).toBe(true);
      const windows: ReadWindow[] = convs.map((convId, i) =>
        i % 3 === 0
          ? { convId, firstSeq: 3 }
          : i % 3 === 1
            ? { convId, firstSeq: 1, lastSeq: 5, hiddenSeqs: [2] }
            : { convId, firstSeq: 1 },
      );
      const visible = (d: IndexDoc) =>
        windows.some(
          (w) =>
            w.convId === d.convId &&
            d.seq >= w.firstSeq &&
            (w.lastSeq === undefined || d.seq <= w.lastSeq) &&
            !w.hiddenSeqs?.includes(d.seq),
        );
      const newestFirst = (x: IndexDoc, y: IndexDoc) =>
        y.createdAt - x.createdAt ||
        (x.convId === y.convId ? 0 : x.convId < y.convId ? 1 : -1) ||
        y.seq - x.seq;
      for (const query of ['数据库', '库', 'meet', 'meeting 数据', 'pfx', 'pfx1', 'road meet']) {
        const q = parseQuery(query);
        const expected = docs.filter((d) => visible(d) && matches(q, d.text)).sort(newestFirst);
        expect(expected.length, query).toBeGreaterThan(0);
        const all: IndexDoc[] = [];
        for (let after: IndexDoc | undefined; ;) {
          const page = await index.find(
            q,
            { windows },
            { order: 'time', limit: 20, ...(after && { after }) },
          );
          all.push(...page.filter((d) => matches(q, d.text)));
          after = page[page.length - 1];
          if (page.length < 20) break;
        }
        expect(all.map(docKey), query).toEqual(expected.map(docKey));
        const counts = await index.count(q, { windows });
        const per = new Map<string, IndexDoc[]>();
        for (const d of expected) per.set(d.convId, [...(per.get(d.convId) ?? []), d]);
        expect(
          counts.map((c) => [c.convId, c.count, c.lastSeq]),
          query,
        ).toEqual(
          [...per]
            .sort(([, x], [, y]) => newestFirst(x[0]!, y[0]!))
            .map(([convId, list]) => [convId, list.length, Math.max(...list.map((d) => d.seq))]),
        );
        // In one conversation by seq: the same hits, newest seq first, paged.
        const one = windows.filter((w) => w.convId === convs[2]);
        const inOne = expected.filter((d) => d.convId === convs[2]).sort((x, y) => y.seq - x.seq);
        const bySeq: IndexDoc[] = [];
        for (let after: IndexDoc | undefined; ;) {
          const page = await index.find(
            q,
            { windows: one },
            { order: 'seq', limit: 2, ...(after && { after }) },
          );
          bySeq.push(...page.filter((d) => matches(q, d.text)));
          after = page[page.length - 1];
          if (page.length < 2) break;
        }
        expect(bySeq.map(docKey), query).toEqual(inOne.map(docKey));
      }
      expect(await find('pfx', windows)).toHaveLength(50);
      await index.write({ add: [], remove: docs });
    }, 120_000);

    it('removes documents with their postings, and adds each document once', async () => {
      expect(await index.write({ add: [corpus[0]!, corpus[0]!], remove: [] })).toBe(true);
      expect(await find('散步')).toEqual(['A1']);
      const before = await index.size();
      await index.write({
        add: [],
        remove: [
          { convId: A, seq: 1 },
          { convId: A, seq: 99 },
        ],
      });
      expect(await find('散步')).toEqual([]);
      expect(await find('公园')).toEqual(['C1', 'B1']);
      const after = await index.size();
      expect(after.docs).toBe(before.docs - 1);
      expect(after.postings).toBeLessThan(before.postings);
      expect([
        ...(await index.existing([
          { convId: A, seq: 1 },
          { convId: A, seq: 2 },
        ])),
      ]).toEqual([`${A}:2`]);
      await index.write({ add: [corpus[0]!], remove: [] });
      // A key already there is left as it is, postings and all (a settle pass reads it again).
      const size = await index.size();
      expect(await index.write({ add: [{ ...corpus[0]!, text: '雨伞' }], remove: [] })).toBe(true);
      expect(await find('雨伞')).toEqual([]);
      expect(await find('散步')).toEqual(['A1']);
      expect(await index.size()).toEqual(size);
    });

    it('moves a cursor only from the value it expects, with the batch or not at all', async () => {
      expect(await index.state('cursor')).toBeUndefined();
      expect(await index.swapState('cursor', '', '10')).toBe(true);
      expect(await index.swapState('cursor', '', '11')).toBe(false);
      const extra: IndexDoc = { ...corpus[0]!, convId: C, seq: 2, text: '新的公园' };
      expect(
        await index.write({ add: [extra], remove: [] }, { name: 'cursor', expect: '9', next: '12' }),
      ).toBe(false);
      expect(await find('新的')).toEqual([]);
      expect(
        await index.write({ add: [extra], remove: [] }, { name: 'cursor', expect: '10', next: '12' }),
      ).toBe(true);
      expect(await find('新的')).toEqual(['C2']);
      expect(await index.state('cursor')).toBe('12');
    });

    it('writes a large batch whole: every document and posting, in statements of any row count', async () => {
      const D = big(4);
      // 1 234 documents (512 + 512 + 128 + 64 + 16 + 2 rows), postings past 30 000.
      const docs: IndexDoc[] = Array.from({ length: 1_234 }, (_, i) => ({
        ...corpus[0]!,
        convId: D,
        seq: i + 1,
        msgId: big(10_000 + i),
        text: `批量写入 第${i}条`,
      }));
      const before = await index.size();
      expect(await index.write({ add: docs, remove: [] })).toBe(true);
      const after = await index.size();
      expect(after.docs - before.docs).toBe(1_234);
      expect(after.postings - before.postings).toBe(postingsInKeyOrder(docs).length);
      const inD = [{ convId: D, firstSeq: 1 }];
      expect(await find('1233', inD)).toEqual(['D1234']);
      // Counted up to the cap: 1 234 hits are "99+".
      expect(await index.count(parseQuery('批量'), { windows: inD })).toEqual([
        { convId: D, count: COUNT_CAP, capped: true, lastSeq: 1_234, lastAt: docs[0]!.createdAt },
      ]);
      // Written again (a settle pass): nothing doubles.
      expect(await index.write({ add: docs, remove: [] })).toBe(true);
      expect(await index.size()).toEqual(after);
      await index.write({ add: [], remove: docs });
      expect(await index.size()).toEqual(before);
    });

    it('lets the event loop turn between the statements of a batch (no long stall)', async () => {
      const many: IndexDoc[] = Array.from({ length: 300 }, (_, i) => ({
        ...corpus[0]!,
        convId: C,
        seq: 1000 + i,
        msgId: big(9000 + i),
        text: `turn${i}`,
      }));
      let turns = 0;
      let stop = false;
      const tick = () => {
        turns++;
        if (!stop) setImmediate(tick);
      };
      setImmediate(tick);
      await index.write({ add: many, remove: [] });
      stop = true;
      // Docs in 4 statements (256 + 32 + 8 + 4 rows), postings in 4 or more: a turn before each.
      expect(turns).toBeGreaterThanOrEqual(8);
    });

    it.skipIf(engine !== 'postgres')(
      'walks with sorting priced out on PostgreSQL, each statement in its own transaction',
      async () => {
        // At 1 M messages the planner, left to its estimates, read and sorted every candidate
        // of a window (1.5 s a 3-character query); with sorting priced out the walk follows the
        // key. The plan only differs at that size: here, that the setting precedes each walk.
        await withLoggedQueries(t.url, async (queries, statements) => {
          const q = parseQuery('天安门');
          const hits = await queries.find(q, { windows: everywhere }, { order: 'time', limit: 20 });
          expect(hits.map(key)).toEqual(['B3']);
          expect((await queries.count(q, { windows: everywhere })).map((c) => c.count)).toEqual([1]);
          const walks = statements.flatMap((sql, i) => (sql.startsWith('select * from (') ? [i] : []));
          expect(walks).toHaveLength(2);
          for (const i of walks) expect(statements[i - 1], statements[i]).toBe('set local enable_sort = off');
        });
      },
    );

    it.skipIf(engine !== 'postgres')(
      'plans once per search: the page and the counts share the rarest-token counts',
      async () => {
        // find and count of one SearchMessages call each planned the query: four reads of up
        // to 10 000 postings for a 3-character run at 1 M messages. Now one statement a search.
        await withLoggedQueries(t.url, async (queries, statements) => {
          const rarity = () => statements.filter((s) => s.includes('count(*)') && s.includes('limit')).length;
          const q = parseQuery('天安门');
          const scope = { windows: everywhere };
          for (const limit of [1, 20]) {
            const hits = await queries.find(q, scope, { order: 'time', limit });
            expect(hits.map(key)).toEqual(['B3']);
          }
          expect((await queries.count(q, scope)).map((c) => c.count)).toEqual([1]);
          expect(rarity()).toBe(1);
          // Another search (its own query and scope) plans again.
          await queries.count(parseQuery('天安门'), { windows: everywhere });
          expect(rarity()).toBe(2);
        });
      },
    );

    it('empties everything on clear', async () => {
      // A merge where there are no recent postings (every engine but SQLite) does nothing.
      await index.merge();
      await index.clear();
      expect(await index.size()).toEqual({ docs: 0, postings: 0 });
      expect(await index.state('cursor')).toBeUndefined();
      expect(await find('公园')).toEqual([]);
    });
  });
}

describe('recent postings on SQLite (search.mergeEveryDocs)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase('sqlite');
    await t.sql.migrate('search', searchMigrations('sqlite'));
  });
  afterAll(() => t?.dispose());
  // Each test from an empty index.
  beforeEach(() => new SqlSearchIndex(t.sql).clear());
  const rows = async (table: string) =>
    (await t.sql.db.selectFrom(table).select(['token', 'conv_id', 'seq']).execute()).map(
      (r) => `${String(r.token)} ${String(r.conv_id)} ${String(r.seq)}`,
    );
  const found = async (index: SqlSearchIndex, text: string) =>
    (await index.find(parseQuery(text), { windows: everywhere }, { order: 'seq', limit: 50 })).map(key);

  it("keeps a batch's postings apart until mergeEveryDocs documents, then moves them all into the main table", async () => {
    const index = new SqlSearchIndex(t.sql, { mergeEveryDocs: 5, mergeChunk: 4 });
    const expected = postingsInKeyOrder(corpus).map((p) => `${p.token} ${p.convId} ${p.seq}`);
    await index.write({ add: corpus.slice(0, 3), remove: [] });
    // Three documents: below the bound, every posting among the recent ones.
    expect(await rows('search_postings')).toEqual([]);
    expect((await rows('search_postings_new')).length).toBeGreaterThan(0);
    expect(await found(index, '公园')).toEqual(['A1']);
    // Past the bound: the write moves at least twice what it added, a chunk at a time.
    await index.write({ add: corpus.slice(3), remove: [] });
    expect((await rows('search_postings')).length).toBeGreaterThan(0);
    await index.merge();
    expect(await rows('search_postings_new')).toEqual([]);
    expect((await rows('search_postings')).sort()).toEqual([...expected].sort());
    expect(await found(index, '公园')).toEqual(['C1', 'B1', 'A1']);
    expect(await index.size()).toEqual({ docs: corpus.length, postings: expected.length });
    await index.clear();
  });

  it('finds and removes a document whose postings are in both tables', async () => {
    const index = new SqlSearchIndex(t.sql, { mergeEveryDocs: 1_000_000, mergeChunk: 5 });
    await index.write({ add: corpus, remove: [] });
    // One chunk of five: the smallest keys moved, the first document's other tokens left behind.
    await t.sql.db.transaction().execute(async (tx) => {
      const first = await tx
        .selectFrom('search_postings_new')
        .selectAll()
        .orderBy('token')
        .orderBy('conv_id')
        .orderBy('seq')
        .limit(5)
        .execute();
      await tx.insertInto('search_postings').values(first).execute();
      for (const r of first)
        await tx
          .deleteFrom('search_postings_new')
          .where('token', '=', r.token)
          .where('conv_id', '=', r.conv_id)
          .where('seq', '=', r.seq)
          .execute();
    });
    expect((await rows('search_postings')).length).toBe(5);
    expect(await found(index, '天安门')).toEqual(['B3']);
    expect(await found(index, 'meet')).toEqual(['A4', 'B2']);
    await index.write({ add: [], remove: corpus });
    expect(await index.size()).toEqual({ docs: 0, postings: 0 });
  });

  it('merges what a previous run left among the recent postings at its first write', async () => {
    await new SqlSearchIndex(t.sql, { mergeEveryDocs: 1_000 }).write({ add: corpus.slice(0, 3), remove: [] });
    expect((await rows('search_postings_new')).length).toBeGreaterThan(0);
    const next = new SqlSearchIndex(t.sql, { mergeEveryDocs: 1_000 });
    await next.write({ add: corpus.slice(3, 4), remove: [] });
    expect(await rows('search_postings_new')).toEqual([]);
    expect(await found(next, '公园')).toEqual(['A1']);
    await next.clear();
  });

  it('keeps a batch whose merge failed, tells of it, and merges at the next write', async () => {
    const failures: unknown[] = [];
    const logger = { warn: (o: { err: unknown }) => failures.push(o.err) } as unknown as Pick<Logger, 'warn'>;
    const index = new SqlSearchIndex(t.sql, { mergeEveryDocs: 1, logger });
    await sql`alter table search_postings rename to search_postings_away`.execute(t.sql.db);
    try {
      expect(await index.write({ add: corpus.slice(0, 2), remove: [] })).toBe(true);
    } finally {
      await sql`alter table search_postings_away rename to search_postings`.execute(t.sql.db);
    }
    expect(failures).toHaveLength(1);
    expect((await rows('search_postings_new')).length).toBeGreaterThan(0);
    await index.write({ add: corpus.slice(2, 3), remove: [] });
    expect(await rows('search_postings_new')).toEqual([]);
    expect(await found(index, '公园')).toEqual(['A1']);
  });

  it('has one tree of documents by conversation after 0004, and still reads their times', async () => {
    const indexes = async () =>
      (
        await sql<{
          name: string;
        }>`select name from sqlite_master where type = 'index' and tbl_name = 'search_docs'`.execute(t.sql.db)
      ).rows.map((r) => r.name);
    expect(await indexes()).not.toContain('search_docs_at');
    // An index made before 0004: the migration drops its second tree and keeps every document.
    const index = new SqlSearchIndex(t.sql, { mergeEveryDocs: 0 });
    await index.write({ add: corpus, remove: [] });
    await sql`create index search_docs_at on search_docs (conv_id, seq, created_at)`.execute(t.sql.db);
    await sql`delete from search_migrations where name = '0004_docs_one_key'`.execute(t.sql.db);
    await t.sql.migrate('search', searchMigrations('sqlite'));
    expect(await indexes()).not.toContain('search_docs_at');
    expect((await index.size()).docs).toBe(corpus.length);
    // Newest first across chats, from the rows' own times.
    const hits = await index.find(parseQuery('公园'), { windows: everywhere }, { order: 'time', limit: 2 });
    expect(hits.map(key)).toEqual(['C1', 'B1']);
    expect(hits.map((h) => h.createdAt)).toEqual(
      ['C1', 'B1'].map((k) => corpus.find((d) => key(d) === k)!.createdAt),
    );
    await index.clear();
  });

  it('writes straight into the main table with mergeEveryDocs 0', async () => {
    const index = new SqlSearchIndex(t.sql, { mergeEveryDocs: 0 });
    await index.write({ add: corpus.slice(0, 2), remove: [] });
    expect(await rows('search_postings_new')).toEqual([]);
    expect((await rows('search_postings')).length).toBeGreaterThan(0);
    await index.clear();
  });
});
