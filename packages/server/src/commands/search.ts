/**
 * `mychat search reindex`: empties the search index and builds it again from every stored
 * message, moment and square post. It runs the message, moments and square services in this process (on the
 * configured database) and their indexers beside them; a server running meanwhile keeps serving search from what is rebuilt so
 * far, and its own indexer takes over where this one stops.
 */
import { createApp } from '../app.js';
import { systemClock } from '../kernel/clock.js';
import { ConfigError, type ConfigSources } from '../kernel/config.js';
import { openIndex } from '../services/search/search.module.js';
import { messageSource, SearchIndexer, type FeedSource } from '../services/search/search.indexer.js';
import { momentSource } from '../services/search/search.moments.js';
import { squareSource } from '../services/search/search.square.js';
import { peerClients } from '../wiring/peers.js';
import { searchDatabase } from '../wiring/search-database.js';

export const SEARCH_USAGE =
  'mychat search reindex     rebuild the search index from every stored message, moment and square post';

export async function searchCommand(
  sub: string | undefined,
  sources: ConfigSources,
  out: (line: string) => void,
): Promise<number> {
  if (sub !== 'reindex') throw new ConfigError(`usage: ${SEARCH_USAGE}`);
  const app = createApp({
    targets: ['message', 'moments', 'square'],
    config: { ...sources, flags: { ...sources.flags, 'http.port': '0', 'rpc.port': '0' } },
  });
  await app.start();
  try {
    const logger = app.loggers.root;
    const database = await searchDatabase(app.value('sql'), app.config, logger);
    try {
      const { search } = app.config;
      const index = await openIndex(database.db, { mergeEveryDocs: search.mergeEveryDocs });
      const started = performance.now();
      await index.clear();
      const peers = peerClients(app.value('rpc'), ['message', 'moments', 'square']);
      const indexer = (source: FeedSource) =>
        new SearchIndexer({
          index,
          source,
          clock: systemClock,
          logger,
          instanceId: `reindex-${process.pid}`,
          config: {
            pollIntervalMs: search.pollIntervalMs,
            batchSize: search.batchSize,
            settleSeconds: search.settleSeconds,
          },
        });
      for (const source of [
        messageSource(peers.message.internal),
        momentSource(peers.moments.internal, index),
        squareSource(peers.square.internal, index),
      ])
        if (!(await indexer(source).catchUp())) {
          out('search index emptied; a running worker holds the indexer lease and rebuilds it');
          return 0;
        }
      // The last recent postings into the main table: the rebuilt index starts merged.
      await index.merge();
      const size = await index.size();
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      out(`search index rebuilt: ${size.docs} documents, ${size.postings} postings in ${seconds} s`);
      return 0;
    } finally {
      await database.release();
    }
  } finally {
    await app.stop();
  }
}
