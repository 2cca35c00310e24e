/**
 * The search index port: what the search service and the indexer need from an index,
 * whatever stores it. The SQL implementation is search.index.ts.
 */
import { foldedTokens, indexTokens, type ParsedQuery } from './search.text.js';

/** One searchable message (or file): where it is, who sent it, when, and its text. */
export interface IndexDoc {
  convId: string;
  seq: number;
  msgId: string;
  senderId: string;
  /** The message type (mychat.message.v1.MessageType). */
  type: number;
  createdAt: number;
  /** The text searched and shown: a text message's text, a file's name ("" for images). */
  text: string;
  /** Media messages: the MessageContent as protobuf JSON; "" otherwise. */
  content?: string;
}

export interface DocKey {
  convId: string;
  seq: number;
}

/** Seqs of one conversation a user may read: [firstSeq, lastSeq], open-ended without lastSeq. */
export interface ReadWindow {
  convId: string;
  firstSeq: number;
  lastSeq?: number;
  /** Seqs inside the window the user deleted for themself: never a hit. */
  hiddenSeqs?: readonly number[];
}

/** What a search may return: only documents inside the windows, and the filters. */
export interface SearchScope {
  windows: readonly ReadWindow[];
  senderId?: string;
  types?: readonly number[];
  /** Epoch ms, inclusive. */
  fromMs?: number;
  /** Epoch ms, exclusive. */
  toMs?: number;
}

/** Where a page ends: the last hit of the previous page. */
export interface HitCursor {
  createdAt: number;
  convId: string;
  seq: number;
}

export interface ConversationCount {
  convId: string;
  /** Hits, at most COUNT_CAP (search.index-query.ts). */
  count: number;
  /** More than `count` hits ("99+"): counting stopped at the cap. */
  capped?: boolean;
  /** The newest hit. */
  lastSeq: number;
  lastAt: number;
}

/**
 * The search index port. Every engine answers the same: documents whose tokens hold every run
 * of the query (and, for CJK runs past two characters, whose folded text holds the run),
 * inside the scope. The caller still checks each hit against its text (search.text.ts).
 */
export interface SearchIndex {
  /**
   * Removes `remove` and adds those of `add` not indexed yet, in one transaction. With
   * `cursor`, that transaction also moves the named state from `expect` to `next`, and
   * writes nothing (returns false) when it no longer holds `expect`.
   */
  write(
    batch: { add: readonly IndexDoc[]; remove: readonly DocKey[] },
    cursor?: { name: string; expect: string; next: string },
  ): Promise<boolean>;
  /** The keys of `keys` that are indexed. */
  existing(keys: readonly DocKey[]): Promise<Set<string>>;
  /** Newest first: by time across conversations, or by seq (one conversation). */
  find(
    q: ParsedQuery,
    scope: SearchScope,
    page: { order: 'time' | 'seq'; after?: HitCursor; limit: number },
  ): Promise<IndexDoc[]>;
  /** Hits per conversation (the checks `find` makes), each counted up to a cap. */
  count(q: ParsedQuery, scope: SearchScope): Promise<ConversationCount[]>;
  /** Where documents of type `type` with these ids (IndexDoc.msgId) are, by id. */
  keysOfIds(type: number, ids: readonly string[]): Promise<Map<string, DocKey>>;
  /** The highest seq indexed in each of `convIds` (absent: none). */
  lastSeqs(convIds: readonly string[]): Promise<Map<string, number>>;
  state(name: string): Promise<string | undefined>;
  /** Sets a state from `expect` ("" when absent) to `next`; false when it held something else. */
  swapState(name: string, expect: string, next: string): Promise<boolean>;
  /** Empties the index and its state (a rebuild follows). */
  clear(): Promise<void>;
  size(): Promise<{ docs: number; postings: number }>;
}

export const docKey = (k: DocKey) => `${k.convId}:${k.seq}`;

/** The token that lists documents of one message type (never a text token: `~` is no letter). */
export const typeToken = (type: number) => `~${type}`;

/** The tokens of a document: its text's, and its type's. */
export function docTokens(doc: Pick<IndexDoc, 'type' | 'text'> & { folded?: string }): string[] {
  const text = doc.folded === undefined ? indexTokens(doc.text) : foldedTokens(doc.folded);
  return [...text, typeToken(doc.type)];
}
