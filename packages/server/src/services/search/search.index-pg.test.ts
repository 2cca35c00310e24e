import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendAvailable } from '../../../test/helpers/backends.js';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/sql-databases.js';
import type { SqlDatabase } from '../../adapters/sql/sql.js';
import { postingsInKeyOrder, SqlSearchIndex } from './search.index.js';
import type { IndexDoc } from './search.port.js';
import { searchMigrations } from './search.migrations.js';
import { parseQuery } from './search.text.js';

/**
 * PostgreSQL writes a batch as statements of arrays (search.index-pg.ts): a handful of
 * statements whatever the batch's size, and every value arrives exactly as it was, whatever
 * characters an array literal must escape.
 */
const conv = '9007199254740995';
const doc = (seq: number, text: string): IndexDoc => ({
  convId: conv,
  seq,
  msgId: String(9_007_199_254_760_000n + BigInt(seq)),
  senderId: '9007199254741100',
  type: 1,
  createdAt: 1_700_000_000_000 + seq,
  text,
});

describe.skipIf(!(await backendAvailable('postgres')))('the search index writes on PostgreSQL', () => {
  let t: TestDatabase;
  let logged: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const statements: string[] = [];
  let index: SqlSearchIndex;
  beforeAll(async () => {
    t = await openTestDatabase('postgres');
    await t.sql.migrate('search', searchMigrations('postgres'));
    logged = new Kysely({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: t.url, max: 2 }) }),
      log: (e) => statements.push(e.query.sql),
    });
    index = new SqlSearchIndex({ ...t.sql, db: logged } as SqlDatabase);
  });
  afterAll(async () => {
    await logged?.destroy();
    await t?.dispose();
  });
  const count = (prefix: RegExp) => statements.filter((s) => prefix.test(s.trim())).length;

  it('writes 3 000 documents and their postings in a handful of statements', async () => {
    const docs = Array.from({ length: 3_000 }, (_, i) => doc(i + 1, `分批写入测试 第${i}条 batch${i}`));
    const postings = postingsInKeyOrder(docs).length;
    statements.length = 0;
    expect(await index.write({ add: docs, remove: [] })).toBe(true);
    expect(count(/^insert into search_docs/)).toBe(Math.ceil(3_000 / 1024));
    expect(count(/^insert into search_postings/)).toBe(Math.ceil(postings / 8192));
    // Looked up in slices of 256 and the rest in powers of two (as on every engine): 11 + 4.
    expect(count(/^select d\.conv_id, d\.seq from search_docs/)).toBe(15);
    expect(await index.size()).toEqual({ docs: 3_000, postings });
    // Written again (a settle pass): every key found, nothing doubles.
    expect(await index.write({ add: docs, remove: [] })).toBe(true);
    expect(await index.size()).toEqual({ docs: 3_000, postings });
    await index.clear();
  });

  it('keeps text that an array literal must escape exactly as it was', async () => {
    await index.clear();
    const texts = ['他说 "好的", {明天} \\ 见', 'NULL', '', "it's , a ; test\\\\", '换行\n和\t制表 ""'];
    await index.write({ add: texts.map((text, i) => doc(i + 1, text)), remove: [] });
    const hits = await index.find(
      parseQuery('明天'),
      { windows: [{ convId: conv, firstSeq: 1 }] },
      { order: 'seq', limit: 5 },
    );
    expect(hits.map((h) => h.text)).toEqual([texts[0]]);
    const all = await t.sql.db.selectFrom('search_docs').select(['seq', 'body']).orderBy('seq').execute();
    expect(all.map((r) => r.body)).toEqual(texts);
    expect(
      (
        await index.find(
          parseQuery('null'),
          { windows: [{ convId: conv, firstSeq: 1 }] },
          { order: 'seq', limit: 5 },
        )
      ).map((h) => h.seq),
    ).toEqual([2]);
  });
});
