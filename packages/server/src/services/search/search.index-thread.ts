/**
 * The search index's writing thread (started by search.index-threaded.ts): its own connection
 * to the index's SQLite file, and the writes of SqlSearchIndex (tokenizing, folding, the
 * documents and postings) done here, off the server's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { openSql } from '../../adapters/sql/open-sql.js';
import { SqlSearchIndex } from './search.index.js';
import type { IndexThreadAnswer, IndexThreadCall, IndexThreadData } from './search.index-threaded.js';

const port = parentPort!;
const data = (workerData as { data: IndexThreadData }).data;
const post = (m: IndexThreadAnswer) => port.postMessage(m);
// Log lines go to the main thread's logger (its destinations and redaction).
const logger = pino(
  { level: data.logLevel, base: undefined, timestamp: false },
  { write: (line: string) => post({ log: JSON.parse(line) as never }) },
);
const database = openSql({ url: data.url, logger, sqliteSynchronous: data.sqliteSynchronous });
const index = database.then((db) => new SqlSearchIndex(db));

async function run(call: IndexThreadCall): Promise<unknown> {
  const i = await index;
  switch (call.op) {
    case 'write':
      return i.write(...(call.args as Parameters<SqlSearchIndex['write']>));
    case 'swapState':
      return i.swapState(...(call.args as Parameters<SqlSearchIndex['swapState']>));
    case 'clear':
      return i.clear();
  }
}

/** The calls not answered yet: closing waits for them. */
const running = new Set<Promise<void>>();

port.on('message', (m: IndexThreadCall | 'stop') => {
  if (m === 'stop') {
    void Promise.all(running)
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
