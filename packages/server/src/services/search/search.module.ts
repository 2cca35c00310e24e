import { search as pb } from '@mychat/protocol';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { SqlDatabase } from '../../adapters/sql/sql.js';
import type { Clock } from '../../kernel/clock.js';
import type { Logger } from '../../kernel/logger.js';
import type { ModuleInstance } from '../../kernel/module-graph.js';
import { serves, type ServiceInstance } from '../../rpc/rpc-impl.js';
import type { Peers } from '../../wiring/peers.js';
import { ContactSearch } from './search.contacts.js';
import { DriveSearch } from './search.drive.js';
import { SqlSearchIndex, type SqlIndexOptions } from './search.index.js';
import { ThreadedSearchIndex, type IndexThreadData } from './search.index-threaded.js';
import { messageSource, SearchIndexer, type FeedSource } from './search.indexer.js';
import { MomentSearch, momentSource } from './search.moments.js';
import { searchMigrations } from './search.migrations.js';
import { searchRpc } from './search.rpc.js';
import { SquareSearch, squareSource } from './search.square.js';
import { MessageSearch, type WindowSource } from './search.service.js';

export interface SearchModuleDeps {
  /** The index's database (see search.config.ts, `sqlUrl`). */
  sql: SqlDatabase;
  /**
   * Read windows (message), friends and groups (contacts), the drive (media), posts (moments),
   * the boards and posts of the square (square).
   */
  peers: Peers<'message' | 'contacts' | 'media' | 'moments' | 'square'>;
  clock: Clock;
  logger: Logger;
}

/** The index on `sql`, migrated. */
export async function openIndex(sql: SqlDatabase, options: SqlIndexOptions = {}): Promise<SqlSearchIndex> {
  await sql.migrate('search', searchMigrations(sql.engine));
  return new SqlSearchIndex(sql, options);
}

/** Builds the search service (mychat.search.v1) over the index; returns SearchService to serve. */
export async function initSearch(d: SearchModuleDeps): Promise<ServiceInstance<void>> {
  const index = await openIndex(d.sql);
  const windows: WindowSource = async (userId, conversationId) => {
    const { windows } = await d.peers.message.internal.listReadableWindows({
      userId,
      conversationId: conversationId ?? '',
    });
    // A member now reads on to the head; one who left, up to where they left.
    return windows.map((w) => ({
      convId: w.conversationId,
      firstSeq: w.firstSeq,
      ...(w.left && { lastSeq: w.lastSeq }),
      ...(w.hiddenSeqs.length && { hiddenSeqs: w.hiddenSeqs }),
    }));
  };
  const rpc = searchRpc({
    messages: new MessageSearch({ index, windows }),
    contacts: new ContactSearch({ contacts: d.peers.contacts.public, now: () => d.clock.now() }),
    drive: new DriveSearch({ media: d.peers.media.public }),
    moments: new MomentSearch({
      index,
      friends: d.peers.contacts.internal,
      moments: d.peers.moments.internal,
    }),
    square: new SquareSearch({ index, square: d.peers.square.internal }),
  });
  return { value: undefined, rpc: [serves(pb.SearchService, rpc)] };
}

export interface IndexerModuleDeps {
  sql: SqlDatabase;
  peers: Peers<'message' | 'moments' | 'square'>;
  metrics: Registry;
  clock: Clock;
  logger: Logger;
  instanceId: string;
  config: { pollIntervalMs: number; batchSize: number; settleSeconds: number; mergeEveryDocs?: number };
  /**
   * The index's SQLite file, to write it on a thread of its own (search.index-threaded.ts);
   * unset: written on the event loop through `sql`. With `messages` (a SQLite message store in
   * this process) the message indexer runs on that thread too, reading the store's file.
   */
  thread?: Omit<IndexThreadData, 'logLevel'>;
}

/** A feed's indexer as the worker drives it: on the event loop, or on the index thread. */
export type FeedIndexer = Pick<SearchIndexer, 'start' | 'stop' | 'catchUp'>;

/**
 * The indexers the worker runs: one follows the message service's feed, one the posts of
 * moments, one the posts of the square. With `thread.messages` the message indexer runs on the
 * index thread and reads the store's file there; otherwise here, through ListMessagesForIndex.
 */
export async function initSearchIndexer(
  d: IndexerModuleDeps,
): Promise<ModuleInstance<{ messages: FeedIndexer; moments: SearchIndexer; square: SearchIndexer }>> {
  const reads = await openIndex(d.sql, { mergeEveryDocs: d.config.mergeEveryDocs, logger: d.logger });
  const indexed = new Counter({
    name: 'mychat_search_indexed_messages_total',
    help: 'Messages (feed=messages) and posts (feed=moments, feed=square) the search indexers read (each once, young ones twice)',
    labelNames: ['feed'],
    registers: [d.metrics],
  });
  const lag = new Histogram({
    name: 'mychat_search_index_lag_seconds',
    help: 'Age of the newest item of each batch when a search indexer committed it',
    labelNames: ['feed'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [d.metrics],
  });
  const batchOf = (feed: 'messages' | 'moments' | 'square') => (n: number, lagMs: number) => {
    indexed.inc({ feed }, n);
    lag.observe({ feed }, lagMs / 1000);
  };
  const threaded = d.thread
    ? new ThreadedSearchIndex(
        reads,
        d.thread,
        d.logger.child({ component: 'search-index-thread' }),
        batchOf('messages'),
      )
    : undefined;
  const index = threaded ?? reads;
  const make = (feed: 'messages' | 'moments' | 'square', source: FeedSource) =>
    new SearchIndexer({
      index,
      source,
      clock: d.clock,
      logger: d.logger.child({ component: 'search-indexer', feed }),
      instanceId: d.instanceId,
      config: d.config,
      onBatch: batchOf(feed),
    });
  const messages: FeedIndexer =
    threaded && d.thread?.messages
      ? threaded.messages()
      : make('messages', messageSource(d.peers.message.internal));
  const moments = make('moments', momentSource(d.peers.moments.internal, index));
  const square = make('square', squareSource(d.peers.square.internal, index));
  return {
    value: { messages, moments, square },
    start: async () => {
      messages.start();
      moments.start();
      square.start();
    },
    stop: async () => {
      await Promise.all([messages.stop(), moments.stop(), square.stop()]);
      await threaded?.close();
    },
  };
}
