import type { Worker } from 'node:worker_threads';
import type { Logger } from '../../kernel/logger.js';
import { moduleThread } from '../../kernel/module-thread.js';
import type { MessageFeed, SearchIndexer } from './search.indexer.js';
import type { ParsedQuery } from './search.text.js';
import type {
  ConversationCount,
  DocKey,
  HitCursor,
  IndexDoc,
  SearchIndex,
  SearchScope,
} from './search.port.js';

/** What the thread is started with (search.index-thread.ts). */
export interface IndexThreadData {
  /** The index's SQLite database, `sqlite:<path>` (a file: the thread has its own connection). */
  url: string;
  sqliteSynchronous?: 'normal' | 'full';
  logLevel: string;
  /**
   * How many nice levels below the server the thread runs (Linux: this thread and the
   * checkpoint thread it starts only; see kernel/thread-nice.ts), so that indexing runs on
   * what the event loop leaves of the cores.
   */
  nice?: number;
  /** How large the WAL may grow before the thread empties it (tests: small). */
  walBoundBytes?: number;
  /** `search.mergeEveryDocs`: the thread's writes keep new postings apart until then (search.index.ts). */
  mergeEveryDocs?: number;
  /**
   * The message indexer, run on the thread itself (SQLite message store): the thread reads the
   * store's file through the message module's reader and makes the documents there, so the
   * event loop does none of the per-message indexing work. Unset: the indexer runs on the
   * event loop and reads ListMessagesForIndex.
   */
  messages?: ThreadMessageFeed;
}

/** The message indexer of the index thread (search.index-thread-messages.ts). */
export interface ThreadMessageFeed {
  /**
   * The URL of the module that exports `openIndexFeedReader` (an {@link OpenMessageFeedReader}):
   * the message module's reader (message.index-feed.reader.ts), named by the wiring.
   */
  reader: string;
  /** The message store's SQLite file. */
  path: string;
  instanceId: string;
  config: { pollIntervalMs: number; batchSize: number; settleSeconds: number };
}

/** What the reader module gives the thread: the feed of the store's file, read-only. */
export type OpenMessageFeedReader = (path: string) => MessageFeed & { close(): void };

/** The writes the thread makes, by name, with SearchIndex's arguments; and its message indexer's. */
export type IndexThreadOp =
  'write' | 'swapState' | 'clear' | 'messagesStart' | 'messagesStop' | 'messagesCatchUp';
export interface IndexThreadCall {
  n: number;
  op: IndexThreadOp;
  args: unknown[];
}
export type IndexThreadAnswer =
  | { n: number; value: unknown }
  | { n: number; error: string }
  /** A batch of the thread's message indexer: for the indexed count and the lag metric. */
  | { batch: { items: number; lagMs: number } }
  | { log: { level: number; msg?: string; err?: unknown } & Record<string, unknown> };

/** Most a closing thread is waited for before it is terminated, ms. */
const STOP_TIMEOUT_MS = 10_000;
/** How soon a thread that ended while its message indexer ran is started again, ms. */
const RESTART_MS = 1000;

/**
 * The search index with its writes on a thread of its own (SQLite: the index is its own file,
 * `search.db`). Tokenizing a batch, folding its text and writing its documents and postings
 * took the server's main thread ~0.18 ms per message (docs/performance.md); here the thread
 * does all of it on its own connection, and the event loop only hands it each batch. Reads
 * (searches, the indexer's cursor and lease) stay on `reads`, the main thread's connection:
 * in WAL mode they never wait for the thread's open transaction. Every write goes to the
 * thread, so the two connections never wait for each other's write lock (better-sqlite3 would
 * wait with the event loop blocked). A thread that fails is started again by the next write.
 */
export class ThreadedSearchIndex implements SearchIndex {
  private worker: Worker | undefined;
  private exited: Promise<void> | undefined;
  private next = 0;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  /** The thread's message indexer is to run (started, not stopped): a new thread starts it too. */
  private messagesRunning = false;
  private closing = false;

  constructor(
    private readonly reads: SearchIndex,
    private readonly thread: Omit<IndexThreadData, 'logLevel'>,
    private readonly logger: Logger,
    /** Each batch of the thread's message indexer (SearchIndexer's onBatch). */
    private readonly onBatch?: (items: number, lagMs: number) => void,
  ) {}

  /**
   * The message indexer running on the thread (`thread.messages` set), driven from here:
   * start, stop (the lease handed back) and catch up, as a SearchIndexer on the event loop.
   */
  messages(): Pick<SearchIndexer, 'start' | 'stop' | 'catchUp'> {
    if (!this.thread.messages) throw new Error('the search index thread has no message feed');
    return {
      start: () => {
        this.messagesRunning = true;
        this.call('messagesStart', []).catch((err: unknown) =>
          this.logger.warn({ err }, 'search index thread did not start its message indexer'),
        );
      },
      stop: async () => {
        this.messagesRunning = false;
        if (this.worker) await this.call('messagesStop', []);
      },
      catchUp: () => this.call('messagesCatchUp', []) as Promise<boolean>,
    };
  }

  write(
    batch: { add: readonly IndexDoc[]; remove: readonly DocKey[] },
    cursor?: { name: string; expect: string; next: string },
  ): Promise<boolean> {
    return this.call('write', [batch, cursor]) as Promise<boolean>;
  }

  swapState(name: string, expect: string, next: string): Promise<boolean> {
    return this.call('swapState', [name, expect, next]) as Promise<boolean>;
  }

  async clear(): Promise<void> {
    await this.call('clear', []);
  }

  existing(keys: readonly DocKey[]): Promise<Set<string>> {
    return this.reads.existing(keys);
  }

  find(
    q: ParsedQuery,
    scope: SearchScope,
    page: { order: 'time' | 'seq'; after?: HitCursor; limit: number },
  ): Promise<IndexDoc[]> {
    return this.reads.find(q, scope, page);
  }

  count(q: ParsedQuery, scope: SearchScope): Promise<ConversationCount[]> {
    return this.reads.count(q, scope);
  }

  keysOfIds(type: number, ids: readonly string[]): Promise<Map<string, DocKey>> {
    return this.reads.keysOfIds(type, ids);
  }

  lastSeqs(convIds: readonly string[]): Promise<Map<string, number>> {
    return this.reads.lastSeqs(convIds);
  }

  state(name: string): Promise<string | undefined> {
    return this.reads.state(name);
  }

  size(): Promise<{ docs: number; postings: number }> {
    return this.reads.size();
  }

  /** Closes the thread's connection (after the writes already sent) and ends it. */
  async close(): Promise<void> {
    this.closing = true;
    const worker = this.worker;
    if (!worker) return;
    worker.postMessage('stop');
    const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }

  private call(op: IndexThreadOp, args: unknown[]): Promise<unknown> {
    const worker = this.worker ?? this.start();
    const n = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(n, { resolve, reject });
      worker.postMessage({ n, op, args } satisfies IndexThreadCall);
    });
  }

  private start(): Worker {
    this.closing = false;
    const data: IndexThreadData = { ...this.thread, logLevel: this.logger.level };
    const worker = moduleThread(new URL('./search.index-thread.js', import.meta.url), data);
    this.worker = worker;
    worker.on('message', (m: IndexThreadAnswer) => this.answer(m));
    worker.on('error', (err) => this.logger.warn({ err }, 'search index thread failed'));
    this.exited = new Promise((resolve) =>
      worker.once('exit', () => {
        if (this.worker === worker) this.worker = undefined;
        for (const p of this.pending.values()) p.reject(new Error('search index thread exited'));
        this.pending.clear();
        // Ended by a failure while its message indexer ran: nothing else would start it again.
        if (this.messagesRunning && !this.closing)
          setTimeout(() => {
            if (!this.worker && this.messagesRunning && !this.closing) this.messages().start();
          }, RESTART_MS).unref();
        resolve();
      }),
    );
    // A thread started again (after a failure, or by a write after close) resumes its indexer.
    if (this.messagesRunning && this.thread.messages)
      worker.postMessage({ n: this.next++, op: 'messagesStart', args: [] } satisfies IndexThreadCall);
    return worker;
  }

  private answer(m: IndexThreadAnswer): void {
    if ('batch' in m) {
      this.onBatch?.(m.batch.items, m.batch.lagMs);
      return;
    }
    if ('log' in m) {
      const { level, msg, ...fields } = m.log;
      const at = level >= 50 ? 'error' : level >= 40 ? 'warn' : level >= 30 ? 'info' : 'debug';
      this.logger[at](fields, msg ?? 'search index thread');
      return;
    }
    const p = this.pending.get(m.n);
    if (!p) return;
    this.pending.delete(m.n);
    if ('error' in m) p.reject(new Error(m.error));
    else p.resolve(m.value);
  }
}
