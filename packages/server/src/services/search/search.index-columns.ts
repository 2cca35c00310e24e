import type { IndexDoc } from './search.port.js';

/** A document as written: with its folded text. */
export type FoldedDoc = IndexDoc & { folded: string };
/** One posting: a token of a document. */
export type Posting = { token: string; convId: string; seq: number };

/** Each written column: its PostgreSQL type (for its array there) and how a row gives its value. */
export type Columns<R> = Readonly<Record<string, readonly [type: string, get: (row: R) => unknown]>>;

/** The columns of `search_docs` every engine writes (search.migrations.ts). */
export const DOC_COLUMNS: Columns<FoldedDoc> = {
  conv_id: ['bigint', (d) => d.convId],
  seq: ['integer', (d) => d.seq],
  msg_id: ['bigint', (d) => d.msgId],
  sender_id: ['bigint', (d) => d.senderId],
  type: ['smallint', (d) => d.type],
  created_at: ['bigint', (d) => d.createdAt],
  body: ['text', (d) => d.text],
  folded: ['text', (d) => d.folded],
  content: ['text', (d) => d.content ?? ''],
};

/** The columns of the postings tables. */
export const POSTING_COLUMNS: Columns<Posting> = {
  token: ['text', (p) => p.token],
  conv_id: ['bigint', (p) => p.convId],
  seq: ['integer', (p) => p.seq],
};

/** The value getters alone, by column. */
export const getters = <R>(columns: Columns<R>): Record<string, (row: R) => unknown> =>
  Object.fromEntries(Object.entries(columns).map(([name, [, get]]) => [name, get]));
