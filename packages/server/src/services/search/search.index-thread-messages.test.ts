import { copyFileSync, writeFileSync } from 'node:fs';
import { create } from '@bufbuild/protobuf';
import { message as pb } from '@mychat/protocol';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { eventually } from '../../../test/helpers/eventually.js';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/sql-databases.js';
import { seqsFound } from '../../../test/helpers/search-found.js';
import { systemClock } from '../../kernel/clock.js';
import { moduleHref } from '../../kernel/module-thread.js';
import { messageMigrations } from '../message/message.migrations.js';
import { encodeContent } from '../message/message.views.js';
import { fileFeed } from './search.index-thread-messages.js';
import { idAt } from './search.indexer.js';
import { initSearchIndexer, openIndex } from './search.module.js';
import type { SearchIndex } from './search.port.js';

/**
 * The message indexer on the index thread (a SQLite message store): it reads the store's file
 * itself through the message module's reader, and the main thread never asks for the feed.
 */
const CONV = '1000';
const READER = moduleHref(new URL('../message/message.index-feed.reader.js', import.meta.url));
const config = { pollIntervalMs: 20, batchSize: 100, settleSeconds: 1 };
/** Each test starts a thread, which loads its code from the sources first (seconds on a busy host). */
const SLOW = 120_000;

describe('the message indexer on the index thread', () => {
  let store: TestDatabase;
  let indexDb: TestDatabase;
  let index: SearchIndex;
  let seq = 0;
  let lines: { level: number; msg?: string; err?: { message?: string } }[];
  let stops: (() => Promise<void>)[];
  const feedCalls = vi.fn(() => Promise.reject(new Error('the main thread read the feed')));
  const storePath = () => store.url.slice('sqlite:'.length);

  /** Stores a message as the message store does (content as protobuf JSON), its id `ageMs` old. */
  const insert = async (content: pb.MessageContent, o: { ageMs?: number; type?: number } = {}) => {
    const s = ++seq;
    const id = (BigInt(idAt(Date.now() - (o.ageMs ?? 0))) + BigInt(s)).toString();
    await store.sql.db
      .insertInto('msg_messages' as never)
      .values({
        conv_id: CONV,
        seq: s,
        id,
        sender_id: '7',
        client_msg_id: `c${s}`,
        type: o.type ?? pb.MessageType.TEXT,
        content: encodeContent(content),
        created_at: Date.now() - (o.ageMs ?? 0),
      } as never)
      .execute();
    return s;
  };
  const text = (t: string, ageMs = 0) =>
    insert(create(pb.MessageContentSchema, { body: { case: 'text', value: { text: t } } }), { ageMs });
  const found = (q: string) => seqsFound(index, CONV, q);
  // The thread loads its code first (from the sources, on a busy host, seconds).
  const until = (q: string, want: number[]) =>
    eventually(
      () => found(q),
      (s) => JSON.stringify(s) === JSON.stringify(want),
      30_000,
    );

  const start = async (path = storePath(), metrics = new Registry()) => {
    const logger = pino({ level: 'debug' }, { write: (l: string) => lines.push(JSON.parse(l) as never) });
    const empty = { nextCursor: '', moments: [], posts: [] };
    const indexer = await initSearchIndexer({
      sql: indexDb.sql,
      peers: {
        message: { internal: { listMessagesForIndex: feedCalls } },
        moments: { internal: { listMomentsForIndex: async () => empty } },
        square: { internal: { listPostsForIndex: async () => empty } },
      } as never,
      metrics,
      clock: systemClock,
      logger,
      instanceId: 'one',
      config,
      thread: { url: indexDb.url, messages: { reader: READER, path, instanceId: 'one', config } },
    });
    await indexer.start?.();
    stops.push(async () => indexer.stop?.());
    return { ...indexer.value, metrics };
  };

  beforeEach(async () => {
    store = await openTestDatabase('sqlite');
    await store.sql.migrate('msg', messageMigrations);
    indexDb = await openTestDatabase('sqlite');
    index = await openIndex(indexDb.sql);
    lines = [];
    stops = [];
    seq = 0;
    feedCalls.mockClear();
  });
  afterEach(async () => {
    for (const stop of stops) await stop();
    await store?.dispose();
    await indexDb?.dispose();
  });

  it(
    'indexes new, edited, recalled and late messages from the file, the feed RPC never called',
    async () => {
      const { metrics } = await start();
      const first = await text('我们去公园散步');
      const edited = await text('旧的文字 蓝天');
      const recalled = await text('要撤回的公园');
      await until('公园', [recalled, first]);
      await until('蓝天', [edited]);

      // Edited: the stored message takes its new text, and an EDIT follows it.
      await store.sql.db
        .updateTable('msg_messages' as never)
        .set({
          content: encodeContent(
            create(pb.MessageContentSchema, { body: { case: 'text', value: { text: '新的文字 白云' } } }),
          ),
        } as never)
        .where('seq' as never, '=', edited as never)
        .execute();
      await insert(create(pb.MessageContentSchema, { body: { case: 'edit', value: { seq: edited } } }), {
        type: pb.MessageType.EDIT,
      });
      // Recalled: emptied and flagged, and a RECALL follows it.
      await store.sql.db
        .updateTable('msg_messages' as never)
        .set({ content: '{}', recalled_at: Date.now() } as never)
        .where('seq' as never, '=', recalled as never)
        .execute();
      await insert(create(pb.MessageContentSchema, { body: { case: 'recall', value: { seq: recalled } } }), {
        type: pb.MessageType.RECALL,
      });
      await until('白云', [edited]);
      expect(await found('蓝天')).toEqual([]);
      await until('公园', [first]);

      // Late: its id is older than what was read already; the settle pass (1 s here) finds it.
      await text('新的一条');
      await until('新的一条', [seq]);
      const late = await text('迟到的消息', 3_000);
      await until('迟到', [late]);

      expect(feedCalls).not.toHaveBeenCalled();
      // Each batch reached the main thread's metrics.
      const indexed = await metrics.getSingleMetric('mychat_search_indexed_messages_total')!.get();
      expect(indexed.values.find((v) => v.labels.feed === 'messages')!.value).toBeGreaterThanOrEqual(seq);
    },
    SLOW,
  );

  it(
    'catches up on call and hands the lease back when stopped',
    async () => {
      for (let i = 0; i < 250; i++) await text(`批量 ${i}`, 120_000);
      const { messages } = await start();
      await until(
        '批量',
        Array.from({ length: 50 }, (_, i) => 250 - i),
      );
      await messages.stop();
      // The lease was handed back: a second indexer (a restarted worker) goes on at once.
      expect(await index.state('lease')).toBe('one 0');
      await text('停止后的一条', 120_000);
      expect(await messages.catchUp()).toBe(true);
      expect(await found('停止后')).toEqual([seq]);
      expect((await index.size()).docs).toBe(251);
      expect(feedCalls).not.toHaveBeenCalled();
    },
    SLOW,
  );

  it(
    'logs a store it cannot read, keeps trying, and indexes once the file is there',
    async () => {
      const path = `${storePath()}.later`;
      await text('终于能读了');
      await start(path);
      await eventually(
        async () => lines.filter((l) => l.msg === 'search indexer step failed'),
        (l) => l.length > 0,
        30_000,
      );
      const failed = lines.find((l) => l.msg === 'search indexer step failed')!;
      expect(failed.level).toBe(40);
      expect(failed.err?.message).toContain(`message store ${path} cannot be opened read-only`);
      expect(await found('终于')).toEqual([]);
      // The store itself (a WAL file: its committed pages are in the main file after a checkpoint).
      await store.sql.db.executeQuery({ sql: 'pragma wal_checkpoint(TRUNCATE)', parameters: [] } as never);
      copyFileSync(storePath(), path);
      await until('终于', [1]);
      expect(feedCalls).not.toHaveBeenCalled();
    },
    SLOW,
  );

  it('reads again after a bad file is replaced or its connection was closed (the feed reopens it)', async () => {
    const path = `${storePath()}.copy`;
    writeFileSync(path, 'not a database, just text '.repeat(100));
    const feed = fileFeed({ reader: READER, path, instanceId: 'x', config });
    const all = { afterCursor: '', untilCursor: '', limit: 10 };
    await expect(feed.listMessagesForIndex(all)).rejects.toThrow(
      `message store ${path} cannot be read for the search index`,
    );
    await text('第一条');
    await store.sql.db.executeQuery({ sql: 'pragma wal_checkpoint(TRUNCATE)', parameters: [] } as never);
    copyFileSync(storePath(), path);
    expect((await feed.listMessagesForIndex(all)).messages.map((m) => m.seq)).toEqual([1]);
    // Closed under it (a thread stopping): the next read opens the file again.
    feed.close();
    expect((await feed.listMessagesForIndex(all)).messages.map((m) => m.seq)).toEqual([1]);
    feed.close();
  });
});
