/**
 * The message indexer on the search index thread (search.index-thread.ts): the same
 * SearchIndexer (its loop, lease, cursors and settle pass) as on the event loop, with the
 * index's own connection here and a feed read from the message store's file through the
 * message module's reader, whose module the wiring names (IndexThreadData.messages). The feed's
 * reads, the messages' making and the documents' (changeOf) run on this thread; the main thread
 * only hears of each batch (the lag metric) and of the logs.
 */
import { systemClock } from '../../kernel/clock.js';
import type { Logger } from '../../kernel/logger.js';
import type { OpenMessageFeedReader, ThreadMessageFeed } from './search.index-threaded.js';
import { messageSource, SearchIndexer, type MessageFeed } from './search.indexer.js';
import type { SearchIndex } from './search.port.js';

/** The reader's opener, from the module the wiring named. */
export const loadReader = (href: string): Promise<OpenMessageFeedReader> =>
  import(href).then((m: { openIndexFeedReader: OpenMessageFeedReader }) => m.openIndexFeedReader);

/**
 * The feed of the store's file, opened on the first read and again after a read failed (a
 * file not there yet, replaced, closed): each failure is the indexer's step failing, logged
 * and tried again after a pause. `opener`: the reader's module, loading already.
 */
export function fileFeed(
  feed: ThreadMessageFeed,
  opener?: Promise<OpenMessageFeedReader>,
): MessageFeed & { close(): void } {
  let reader: (MessageFeed & { close(): void }) | undefined;
  const drop = () => {
    try {
      reader?.close();
    } catch {
      // Already closed: nothing to release.
    }
    reader = undefined;
  };
  return {
    async listMessagesForIndex(req) {
      try {
        if (!reader) {
          opener ??= loadReader(feed.reader);
          reader = (await opener)(feed.path);
        }
        return await reader.listMessagesForIndex(req);
      } catch (err) {
        drop();
        // A module that did not load is loaded again next time.
        if (opener) void opener.catch(() => (opener = undefined));
        throw err;
      }
    },
    close: drop,
  };
}

/** The thread's message indexer: started, stopped and caught up by the main thread's calls. */
export class ThreadMessages {
  private readonly feed: MessageFeed & { close(): void };
  private readonly indexer: SearchIndexer;
  private running = false;

  constructor(
    config: ThreadMessageFeed,
    index: SearchIndex,
    logger: Logger,
    onBatch: (items: number, lagMs: number) => void,
    opener?: Promise<OpenMessageFeedReader>,
  ) {
    this.feed = fileFeed(config, opener);
    this.indexer = new SearchIndexer({
      index,
      source: messageSource(this.feed),
      clock: systemClock,
      logger: logger.child({ component: 'search-indexer', feed: 'messages' }),
      instanceId: config.instanceId,
      config: config.config,
      onBatch,
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.indexer.start();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.indexer.stop();
  }

  catchUp(): Promise<boolean> {
    return this.indexer.catchUp();
  }

  /** Stops the indexer and closes the store's file. */
  async close(): Promise<void> {
    await this.stop();
    this.feed.close();
  }
}
