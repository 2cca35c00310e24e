import { cfg } from '../../kernel/config.js';

/** The search module's settings (`search.*`, MYCHAT_SEARCH_*). */
export const searchConfigSchema = cfg.group({
  /**
   * Where the index lives. Unset: beside the messages (the same database), except on SQLite,
   * where it is its own file `search.db` in dataDir so that indexing never holds the lock
   * that sends wait for.
   */
  sqlUrl: cfg.optStr(),
  /** Whether the worker follows new messages into the index (search still answers from what is indexed). */
  indexer: cfg.bool(true),
  /**
   * Whether the indexer writes a SQLite index (its own file) on a thread of its own, off the
   * event loop; false: on the event loop, as on the other engines.
   */
  indexThread: cfg.bool(true),
  /**
   * How many nice levels below the server that thread runs (Linux; 0-19, 0: as the server,
   * at most to nice 19): the event loop (sends) gets the cores first, and the index catches up
   * in larger batches when they are busy.
   */
  indexerNice: cfg.int(10, 0, 19),
  /** How often an indexer that is caught up looks for new messages, ms. */
  pollIntervalMs: cfg.int(250, 10, 60_000),
  /**
   * Messages the indexer takes per step (and per transaction; moments and square posts: at most
   * 1 000). Larger batches write the index faster when it catches up (a rebuild, a backlog):
   * each touches a page of the postings once for all its rows.
   */
  batchSize: cfg.int(5000, 1, 20_000),
  /**
   * How long after a message's id was made it may still be committed (a slow transaction, a
   * second message process): the indexer reads every message again once it is this old, so a
   * late commit is indexed too, seconds.
   */
  settleSeconds: cfg.int(60, 1, 3600),
  /**
   * SQLite: the index's new postings are kept in a small table of their own and moved into the
   * main one in key order every this many documents (far fewer page writes a message than
   * writing each batch into the large table); 0: written straight into the main table.
   */
  mergeEveryDocs: cfg.int(20_000, 0, 10_000_000),
});

/** The search settings as the code sees them. */
export type SearchConfig = ReturnType<(typeof searchConfigSchema)['parse']>;
