import type { SearchIndex } from '../../src/services/search/search.port.js';
import { parseQuery } from '../../src/services/search/search.text.js';

/** The seqs of one conversation's documents that `q` finds in `index`, in seq order (at most 50). */
export const seqsFound = async (index: SearchIndex, convId: string, q: string): Promise<number[]> =>
  (await index.find(parseQuery(q), { windows: [{ convId, firstSeq: 1 }] }, { order: 'seq', limit: 50 })).map(
    (d) => d.seq,
  );
