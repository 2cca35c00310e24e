/**
 * The search index's writing thread (started by search.index-threaded.ts): its own connection
 * to the index's SQLite file, and the writes of SqlSearchIndex (tokenizing, folding, the
 * documents and postings) done here, off the server's event loop. With a SQLite message store
 * the message indexer runs here too (search.index-thread-messages.ts).
 */
import { statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { sql } from 'kysely';
import { pino } from 'pino';
import { openSql, parseSqlUrl } from '../../adapters/sql/open-sql.js';
import { niceThisThread } from '../../kernel/thread-nice.js';
import { SqlSearchIndex } from './search.index.js';
import type { ThreadMessages } from './search.index-thread-messages.js';
import type { IndexThreadAnswer, IndexThreadCall, IndexThreadData } from './search.index-threaded.js';

const port = parentPort!;
const data = (workerData as { data: IndexThreadData }).data;
const post = (m: IndexThreadAnswer) => port.postMessage(m);
// Log lines go to the main thread's logger (its destinations and redaction).
const logger = pino(
  { level: data.logLevel, base: undefined, timestamp: false },
  { write: (line: string) => post({ log: JSON.parse(line) as never }) },
);
// The message module's reader loaded at the server's priority, as the thread's own code was
// (from the sources, in tests, a slow transpile once niced); a failure shows at the first read.
// Only a thread with a message feed loads the indexer (the others start as fast as before).
const feedModule = data.messages ? await import('./search.index-thread-messages.js') : undefined;
const opener = data.messages && feedModule?.loadReader(data.messages.reader);
await opener?.catch(() => undefined);
// Before the connection opens: its checkpoint thread, started from here, inherits the value.
try {
  const nice = niceThisThread(data.nice ?? 0);
  if (nice !== undefined) logger.debug({ nice }, 'search index thread niced');
} catch (err) {
  logger.warn({ err }, 'search index thread keeps its priority');
}
const database = openSql({ url: data.url, logger, sqliteSynchronous: data.sqliteSynchronous });

/**
 * The WAL's bound, bytes: past it the thread copies the whole WAL back after its write and
 * empties it. The checkpoint thread's passive copies never catch up with a rebuild (each
 * batch dirties thousands of pages all over a file of a gigabyte), so without it the WAL of a
 * 1 M-message rebuild grew to 13 GB; checking after every batch instead copied the same hot
 * pages again each time. Here they are copied once per WAL_BOUND of writes, on this thread.
 */
const WAL_BOUND = data.walBoundBytes ?? 512 * 1024 * 1024;
const wal = `${parseSqlUrl(data.url).path}-wal`;

function walBytes(): number {
  try {
    return statSync(wal).size;
  } catch {
    return 0;
  }
}

/** The index on this thread's connection, its WAL emptied after a write that took it past WAL_BOUND. */
class BoundedIndex extends SqlSearchIndex {
  override async write(...args: Parameters<SqlSearchIndex['write']>): Promise<boolean> {
    const ok = await super.write(...args);
    if (walBytes() > WAL_BOUND) {
      // Waits (busy_timeout) for the main thread's reads to end; blocks only this thread. A
      // passive copy running on the checkpoint thread meanwhile makes it busy: tried again.
      let r: { busy: bigint; log: bigint } | undefined;
      for (let attempt = 0; attempt < 5; attempt++) {
        [r] = (
          await sql<{
            busy: bigint;
            log: bigint;
            checkpointed: bigint;
          }>`pragma wal_checkpoint(TRUNCATE)`.execute((await database).db)
        ).rows;
        if (!Number(r?.busy)) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      logger.info({ busy: Number(r?.busy), frames: Number(r?.log) }, 'search index WAL copied back');
    }
    return ok;
  }
}
const index = database.then(
  (db) => new BoundedIndex(db, { mergeEveryDocs: data.mergeEveryDocs ?? 0, logger }),
);

/** The message indexer on this thread, made on first use (IndexThreadData.messages). */
let messages: Promise<ThreadMessages> | undefined;
const threadMessages = (): Promise<ThreadMessages> => {
  const feed = data.messages;
  if (!feed || !feedModule) return Promise.reject(new Error('this search index thread has no message feed'));
  messages ??= index.then(
    (i) =>
      new feedModule.ThreadMessages(
        feed,
        i,
        logger,
        (items, lagMs) => post({ batch: { items, lagMs } }),
        opener,
      ),
  );
  return messages;
};

async function run(call: IndexThreadCall): Promise<unknown> {
  const i = await index;
  switch (call.op) {
    case 'write':
      return i.write(...(call.args as Parameters<SqlSearchIndex['write']>));
    case 'swapState':
      return i.swapState(...(call.args as Parameters<SqlSearchIndex['swapState']>));
    case 'clear':
      return i.clear();
    case 'messagesStart':
      (await threadMessages()).start();
      return true;
    case 'messagesStop':
      await (await threadMessages()).stop();
      return true;
    case 'messagesCatchUp':
      return (await threadMessages()).catchUp();
  }
}

/** The calls not answered yet: closing waits for them. */
const running = new Set<Promise<void>>();

port.on('message', (m: IndexThreadCall | 'stop') => {
  if (m === 'stop') {
    void Promise.all(running)
      .then(() => messages?.then((x) => x.close()).catch(() => undefined))
      .then(() => database)
      .then((db) => db.close())
      .finally(() => port.close());
    return;
  }
  const done = run(m).then(
    (value) => post({ n: m.n, value }),
    (err: unknown) => post({ n: m.n, error: err instanceof Error ? err.message : String(err) }),
  );
  running.add(done);
  void done.finally(() => running.delete(done));
});
