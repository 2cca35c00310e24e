/**
 * Search inside an encrypted chat, on the device (docs/security.md, section 6): the server
 * cannot read these messages, so it cannot search them. The chat's history is read page by
 * page, newest first, each page opened here (bodies this device kept open without unwrapping
 * again) and matched against the query; nothing about the query leaves the device.
 */
import type { ChatMessage } from './types.js';
import type { Opened } from './e2ee-types.js';

/** Where a hit's text shows the query (UTF-16 offsets into `text`). */
export interface LocalHighlight {
  start: number;
  end: number;
}

export interface LocalHit {
  seq: number;
  senderId: string;
  createdAt: ChatMessage['createdAt'];
  text: string;
  /** Empty when folding changed the text's length (the match is real, its place unmarked). */
  highlights: LocalHighlight[];
}

/** What a search reads: pages of the chat's history (newest before `beforeSeq`), and opens them. */
export interface LocalSearchSource {
  page(beforeSeq: number | undefined): Promise<{ messages: ChatMessage[]; hasMore: boolean }>;
  open(messages: ChatMessage[]): Promise<Opened[]>;
}

/** One step of a search: this page's hits (newest first), how many messages were read so far. */
export interface LocalSearchStep {
  hits: LocalHit[];
  scanned: number;
  done: boolean;
}

export interface LocalSearchOptions {
  /**
   * The comparison form of a text and of the query. Default: Unicode NFKC and lower case (full
   * and half width, letter case); an app can add Traditional -> Simplified Chinese, as the
   * server's search does, if it must map one character to one.
   */
  fold?: (text: string) => string;
  /** Stops the search between pages. */
  signal?: AbortSignal;
}

/** Longest query matched, in characters (as the server's search). */
export const LOCAL_QUERY_MAX = 100;

export const foldBasic = (text: string) => text.normalize('NFKC').toLowerCase();

/** Every place `query` (folded) occurs in `text`, or undefined when it does not. */
function matchText(text: string, q: string, fold: (t: string) => string): LocalHighlight[] | undefined {
  const folded = fold(text);
  let i = folded.indexOf(q);
  if (i < 0) return undefined;
  if (folded.length !== text.length) return [];
  const out: LocalHighlight[] = [];
  for (; i >= 0; i = folded.indexOf(q, i + q.length)) out.push({ start: i, end: i + q.length });
  return out;
}

/**
 * Searches an encrypted chat's text messages for `query`, a page at a time, newest first: each
 * step yields that page's hits. Recalled messages, files and messages this device cannot open
 * are never hits. Throws a RangeError for an empty query or one over {@link LOCAL_QUERY_MAX}.
 */
export async function* searchEncryptedChat(
  source: LocalSearchSource,
  query: string,
  opts: LocalSearchOptions = {},
): AsyncGenerator<LocalSearchStep> {
  const fold = opts.fold ?? foldBasic;
  const trimmed = query.trim();
  if (!trimmed) throw new RangeError('the query is empty');
  if ([...trimmed].length > LOCAL_QUERY_MAX)
    throw new RangeError(`the query is over ${LOCAL_QUERY_MAX} characters`);
  const q = fold(trimmed);
  let before: number | undefined;
  let scanned = 0;
  for (;;) {
    opts.signal?.throwIfAborted();
    const page = await source.page(before);
    const sealed = page.messages.filter((m) => !m.recalled && m.content.type === 'encrypted');
    const opened = sealed.length ? await source.open(sealed) : [];
    const hits: LocalHit[] = [];
    sealed.forEach((m, i) => {
      const r = opened[i];
      if (!r?.ok || r.body.type !== 'text') return;
      const highlights = matchText(r.body.text, q, fold);
      if (highlights)
        hits.push({
          seq: m.seq,
          senderId: m.senderId,
          createdAt: m.createdAt,
          text: r.body.text,
          highlights,
        });
    });
    hits.sort((a, b) => b.seq - a.seq);
    scanned += page.messages.length;
    const oldest = page.messages.reduce((min, m) => Math.min(min, m.seq), Infinity);
    const done = !page.hasMore || page.messages.length === 0 || oldest <= 1;
    yield { hits, scanned, done };
    if (done) return;
    before = oldest;
  }
}
