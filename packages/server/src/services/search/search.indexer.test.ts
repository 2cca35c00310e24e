import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { message as pb } from '@mychat/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ID_EPOCH_MS } from '../../kernel/ids.js';
import { openTestDatabase, silentLogger, type TestDatabase } from '../../../test/helpers/sql-databases.js';
import { seqsFound } from '../../../test/helpers/search-found.js';
import { SqlSearchIndex } from './search.index.js';
import { ThreadedSearchIndex } from './search.index-threaded.js';
import { messageSource, SearchIndexer, idAt } from './search.indexer.js';
import { searchMigrations } from './search.migrations.js';
import type { SearchIndex } from './search.port.js';

/**
 * The indexer against a fake message feed (the real index on SQLite): it catches up after
 * being stopped, takes recalls out, picks up a message committed after newer ones were read,
 * and starts over after a rebuild.
 */
const CONV = '1000';
let clockMs = ID_EPOCH_MS + 10 * 86_400_000;
const clock = { now: () => clockMs };

class FakeFeed {
  messages: pb.Message[] = [];
  private nextSeq = 1;

  /** Stores a message made `ageMs` ago (its id from then), visible from now on. */
  add(t: string, ageMs = 0): pb.Message {
    const at = clockMs - ageMs;
    const id = (BigInt(idAt(at)) + BigInt(this.messages.length)).toString();
    const m = create(pb.MessageSchema, {
      conversationId: CONV,
      seq: this.nextSeq++,
      id,
      senderId: '7',
      type: pb.MessageType.TEXT,
      content: { body: { case: 'text', value: { text: t } } },
      createdAt: timestampFromMs(at),
    });
    this.messages.push(m);
    return m;
  }

  recall(m: pb.Message): void {
    m.recalled = true;
    m.content = create(pb.MessageContentSchema, {});
    const event = this.add('');
    event.type = pb.MessageType.RECALL;
    event.content = create(pb.MessageContentSchema, { body: { case: 'recall', value: { seq: m.seq } } });
  }

  /** Calls made (ListMessagesForIndex takes at most 1 000 messages a call). */
  calls = 0;

  async listMessagesForIndex(req: { afterCursor: string; untilCursor?: string; limit: number }) {
    this.calls++;
    if (req.limit < 1 || req.limit > 1000) throw new Error(`limit ${req.limit}`);
    const after = BigInt(req.afterCursor || '0');
    const until = req.untilCursor ? BigInt(req.untilCursor) : undefined;
    const page = this.messages
      .filter((m) => BigInt(m.id) > after && (until === undefined || BigInt(m.id) <= until))
      .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))
      .slice(0, req.limit);
    return { messages: page, nextCursor: page.length ? page[page.length - 1]!.id : req.afterCursor };
  }
}

// The index written on the event loop, and on a thread of its own (its own connection).
describe.each([
  ['on the event loop', false],
  ['with the index written on its thread', true],
])('search indexer, %s', (_, threaded) => {
  let t: TestDatabase;
  let index: SearchIndex;
  let thread: ThreadedSearchIndex | undefined;
  let feed: FakeFeed;
  const indexer = (id = 'one', batchSize = 3) =>
    new SearchIndexer({
      index,
      source: messageSource(feed as never),
      clock,
      logger: silentLogger(),
      instanceId: id,
      config: { pollIntervalMs: 10, batchSize, settleSeconds: 60 },
    });
  const found = (q: string) => seqsFound(index, CONV, q);

  beforeEach(async () => {
    t = await openTestDatabase('sqlite');
    await t.sql.migrate('search', searchMigrations('sqlite'));
    index = new SqlSearchIndex(t.sql);
    thread = threaded ? new ThreadedSearchIndex(index, { url: t.url }, silentLogger()) : undefined;
    index = thread ?? index;
    feed = new FakeFeed();
  });
  afterEach(async () => {
    await thread?.close();
    await t?.dispose();
  });

  it('indexes everything in batches, and catches up after being stopped', async () => {
    for (let i = 0; i < 7; i++) feed.add(`公园 第${i}条`, 120_000);
    expect(await indexer().catchUp()).toBe(true);
    expect(await found('公园')).toEqual([7, 6, 5, 4, 3, 2, 1]);
    // Stopped: messages keep coming; a new indexer (a restart) continues where it was.
    feed.add('停机时的公园');
    feed.add('还有一条');
    const running = indexer();
    running.start();
    for (let i = 0; i < 100 && (await found('停机')).length === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    await running.stop();
    expect(await found('停机')).toEqual([8]);
    expect(await found('公园')).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect((await index.size()).docs).toBe(9);
  });

  it('takes a large batch in one step and one write, from several feed pages', async () => {
    const first = feed.add('第一页的公园', 120_000);
    for (let i = 1; i < 2_299; i++) feed.add(`批量 ${i}`, 120_000);
    // Recalled two pages later, within the same batch: never indexed.
    feed.recall(first);
    const one = indexer('big', 2_500);
    expect(await one.step()).toBe(2_300);
    expect(feed.calls).toBe(3);
    expect((await index.size()).docs).toBe(2_298);
    expect(await found('公园')).toEqual([]);
    expect((await found('批量')).length).toBe(50);
    // The settle pass reads them again (the recall is young) and changes nothing.
    expect(await one.catchUp()).toBe(true);
    expect((await index.size()).docs).toBe(2_298);
  });

  it('takes recalled messages out, and never indexes one that is already recalled', async () => {
    const a = feed.add('要撤回的消息');
    const b = feed.add('早就撤回的消息');
    feed.recall(b);
    await indexer().catchUp();
    expect(await found('撤回')).toEqual([a.seq]);
    feed.recall(a);
    await indexer().catchUp();
    expect(await found('撤回')).toEqual([]);
    expect((await index.size()).docs).toBe(0);
  });

  it('indexes a message whose commit came after newer ones were read', async () => {
    feed.add('先到的消息');
    await indexer().catchUp();
    // A message whose id is older than what was read: a slow transaction committing late.
    const late = feed.add('迟到的消息', 5_000);
    await indexer().catchUp();
    expect(await found('迟到')).toEqual([]);
    // Once it is settleSeconds old, the second pass reads its range again.
    clockMs += 61_000;
    await indexer().catchUp();
    expect(await found('迟到')).toEqual([late.seq]);
  });

  it('indexes a late message while new ones keep coming (the settle pass never waits for a lull)', async () => {
    feed.add('先到的消息');
    const one = indexer();
    await one.catchUp();
    const late = feed.add('迟到的消息', 5_000);
    // Every ten seconds a new message: each step's hot read finds one, none finds nothing.
    let steps = 0;
    while ((await found('迟到')).length === 0 && steps < 30) {
      clockMs += 10_000;
      feed.add(`不停的消息 ${steps}`);
      expect(await one.step()).toBeGreaterThan(0);
      steps++;
    }
    expect(await found('迟到')).toEqual([late.seq]);
    // The settle cursor stood settleSeconds behind the first read; it is overdue once it is
    // twice that behind, 70 s later here, and that settle batch reads the late message's range.
    expect(steps).toBe(7);
    expect((await found('不停')).length).toBe(steps);
  });

  it('an overdue settle batch reads as much again as the hot one (at least 256), not its backlog', async () => {
    feed.add('开始');
    const one = indexer('pace', 2_500);
    await one.catchUp();
    for (let i = 0; i < 600; i++) feed.add(`积压 ${i}`);
    expect(await one.step()).toBe(600);
    const reads: number[] = [];
    for (let i = 0; i < 20; i++) {
      clockMs += 10_000;
      feed.add(`跟上 ${i}`);
      reads.push(await one.step());
    }
    // Overdue from the 7th step on (70 s): 1 hot + 256 settled, never the 600 at once; the
    // second pass is then ahead of "overdue" until it falls behind again.
    expect(reads.slice(0, 7)).toEqual([1, 1, 1, 1, 1, 1, 257]);
    expect(Math.max(...reads)).toBe(257);
    expect(reads.filter((n) => n > 1).length).toBeGreaterThanOrEqual(2);
  });

  it('starts over after the index is emptied (mychat search reindex)', async () => {
    for (let i = 0; i < 4; i++) feed.add(`重建 ${i}`, 120_000);
    const first = indexer();
    await first.catchUp();
    await index.clear();
    expect(await found('重建')).toEqual([]);
    // The same indexer (a running worker) notices: its cursor is gone, so it reads from the start.
    await first.catchUp();
    expect(await found('重建')).toEqual([4, 3, 2, 1]);
  });

  it('lets one indexer at a time write (the lease)', async () => {
    feed.add('租约');
    expect(await indexer('one').catchUp()).toBe(true);
    feed.add('租约 二');
    expect(await indexer('two').catchUp()).toBe(false);
    expect(await found('租约')).toEqual([1]);
    clockMs += 31_000;
    expect(await indexer('two').catchUp()).toBe(true);
    expect(await found('租约')).toEqual([2, 1]);
    // A stopped indexer hands the lease back at once: a restart (a new id) goes on.
    const three = indexer('three');
    clockMs += 31_000;
    three.start();
    await three.stop();
    feed.add('租约 三');
    expect(await indexer('four').catchUp()).toBe(true);
    expect(await found('租约')).toEqual([3, 2, 1]);
  });
});
