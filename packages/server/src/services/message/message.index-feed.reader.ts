/**
 * The search indexer's feed (ListMessagesForIndex) read from the message store's SQLite file
 * directly, for the search index thread (search.index-thread.ts): its own read-only
 * connection, prepared statements, and the same pages as the RPC (`feedPage`, the same rows
 * and messages), so the reads and the messages' making run on that thread, not the event loop.
 *
 * The search module never imports this file: the wiring hands its URL to the index thread
 * (docs/architecture.md, the module map: search's index thread reads message's store through
 * message's reader). SQLite only; in WAL mode only, where a reader never blocks a writer.
 */
import Database from 'better-sqlite3';
import type { message as pb } from '@mychat/protocol';
import { feedPage } from './message.index-feed.js';
import { toMessageRow, type FeedRows } from './message.index-feed.queries.js';

/** The feed of one message store file, read-only. */
export interface IndexFeedReader {
  listMessagesForIndex(req: {
    afterCursor: string;
    untilCursor: string;
    limit: number;
  }): Promise<{ messages: pb.Message[]; nextCursor: string }>;
  close(): void;
}

/** How long a read waits for a lock (a writer recovering the WAL), ms: the index thread waits, nobody else. */
const BUSY_TIMEOUT_MS = 2000;
/** The reader's page cache, KiB: the feed reads new rows once, near the end of the id index. */
const CACHE_KIB = 16_384;
/** Read through a memory map, as the store's own connection does (sqlite.sql.ts). */
const MMAP_BYTES = 1024 * 1024 * 1024;

/**
 * Opens the message store at `path` (a file the message module created) read-only. Throws,
 * with the path and the reason, when it is missing, not a database, not yet migrated, or not
 * in WAL mode.
 */
export function openIndexFeedReader(path: string): IndexFeedReader {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new Error(`message store ${path} cannot be opened read-only: ${(err as Error).message}`);
  }
  try {
    const mode = db.pragma('journal_mode', { simple: true }) as string;
    if (mode !== 'wal') throw new Error(`journal mode is ${mode}, not wal`);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma(`cache_size = -${CACHE_KIB}`);
    db.pragma(`mmap_size = ${MMAP_BYTES}`);
    // Snowflake ids exceed 2^53, as on the store's connection.
    db.defaultSafeIntegers(true);
    const after = db.prepare('select * from msg_messages where id > ? order by id limit ?');
    const between = db.prepare('select * from msg_messages where id > ? and id <= ? order by id limit ?');
    const at = db.prepare('select * from msg_messages where conv_id = ? and seq = ?');
    const rows: FeedRows = {
      async messagesAfter(from, until, limit) {
        const found =
          until === undefined
            ? after.all(BigInt(from), limit)
            : between.all(BigInt(from), BigInt(until), limit);
        return (found as Record<string, unknown>[]).map(toMessageRow);
      },
      async messagesAt(places) {
        return places.flatMap((p) =>
          (at.all(BigInt(p.convId), p.seq) as Record<string, unknown>[]).map(toMessageRow),
        );
      },
    };
    return {
      listMessagesForIndex: (req) => feedPage(rows, req),
      close: () => db.close(),
    };
  } catch (err) {
    db.close();
    throw new Error(`message store ${path} cannot be read for the search index: ${(err as Error).message}`);
  }
}
