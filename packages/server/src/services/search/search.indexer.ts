import { timestampMs, type Timestamp } from '@bufbuild/protobuf/wkt';
import { toJsonString } from '@bufbuild/protobuf';
import { message as pb } from '@mychat/protocol';
import type { Clock } from '../../kernel/clock.js';
import { ID_EPOCH_MS } from '../../kernel/ids.js';
import type { Logger } from '../../kernel/logger.js';
import { docKey, type DocKey, type IndexDoc, type SearchIndex } from './search.port.js';

/** The message types the index holds, and the text each is found by. */
export const INDEXED_TYPES: readonly number[] = [
  pb.MessageType.TEXT,
  pb.MessageType.FILE,
  pb.MessageType.IMAGE,
  pb.MessageType.VIDEO,
];

/** The indexer's place in the message feed: `hot` read, `settled` read again (see below). */
export interface FeedState {
  hot: string;
  settled: string;
}

const LEASE_MS = 30_000;

export const encodeState = (s: FeedState) => (s.hot || s.settled ? `${s.hot} ${s.settled}` : '');
export function decodeState(v: string | undefined): FeedState {
  const [hot = '', settled = ''] = (v ?? '').split(' ');
  return { hot, settled };
}

/** The smallest id made at `ms` (ids are time-ordered: see kernel/ids.ts). */
export const idAt = (ms: number) => (BigInt(Math.max(0, ms - ID_EPOCH_MS)) << 22n).toString();
/** The fewest messages an overdue settle batch reads beside a hot one. */
const OVERDUE_SETTLE_MIN = 256;

const big = (id: string) => (id === '' ? 0n : BigInt(id));

/** What one feed message does to the index: a document to add, one to remove, or nothing. */
export function changeOf(m: pb.Message): { add?: IndexDoc; remove?: DocKey } {
  const key = { convId: m.conversationId, seq: m.seq };
  if (m.recalled) return { remove: key };
  const body = m.content?.body;
  if (m.type === pb.MessageType.RECALL && body?.case === 'recall')
    return { remove: { convId: m.conversationId, seq: body.value.seq } };
  // An edit takes the old text out; the feed follows it with the edited message as it is now.
  if (m.type === pb.MessageType.EDIT && body?.case === 'edit')
    return { remove: { convId: m.conversationId, seq: body.value.seq } };
  if (!INDEXED_TYPES.includes(m.type) || !body) return {};
  const doc: IndexDoc = {
    ...key,
    msgId: m.id,
    senderId: m.senderId,
    type: m.type,
    createdAt: m.createdAt ? timestampMs(m.createdAt) : 0,
    text: '',
  };
  if (body.case === 'text') return body.value.text.trim() ? { add: { ...doc, text: body.value.text } } : {};
  const content = toJsonString(pb.MessageContentSchema, m.content!);
  if (body.case === 'file') return { add: { ...doc, text: body.value.name, content } };
  if (body.case === 'image' || body.case === 'video') return { add: { ...doc, content } };
  return {};
}

/** One page of a feed, as changes to the index. */
export interface FeedPage {
  /** Items read (each may change nothing). */
  read: number;
  nextCursor: string;
  /** When the newest item read was made, epoch ms (0: unknown). */
  newestAt: number;
  /** Removed first, then added (an edited message is both). */
  add: IndexDoc[];
  remove: DocKey[];
}

/** A feed the indexer follows by id cursor: the message store's, or moments'. */
export interface FeedSource {
  /** Prefixes the names of its cursor and lease in the index ("" for messages). */
  prefix: string;
  /** The most items one read takes (its feed's page limit); unset: any `batchSize`. */
  maxRead?: number;
  read(after: string, until: string, limit: number): Promise<FeedPage>;
}

/** A post of a feed that is not a conversation (moments, the square), to index as a document. */
export interface FeedPost {
  /** The range its documents are numbered in: the author (moments), the board (square). */
  rangeId: string;
  id: string;
  authorId: string;
  createdAt?: Timestamp;
  text: string;
}

/**
 * A feed page's new posts as documents: each numbered after the last of its range (posts have
 * no seq of their own), and the page's read count, cursor and newest time.
 */
export async function postPage(
  index: SearchIndex,
  type: number,
  page: { posts: readonly FeedPost[]; all: readonly { createdAt?: Timestamp }[]; nextCursor: string },
  remove: DocKey[],
): Promise<FeedPage> {
  const last = await index.lastSeqs([...new Set(page.posts.map((p) => p.rangeId))]);
  const add: IndexDoc[] = page.posts.map((p) => {
    const seq = (last.get(p.rangeId) ?? 0) + 1;
    last.set(p.rangeId, seq);
    const createdAt = p.createdAt ? timestampMs(p.createdAt) : 0;
    return { convId: p.rangeId, seq, msgId: p.id, senderId: p.authorId, type, createdAt, text: p.text };
  });
  const newest = page.all[page.all.length - 1]?.createdAt;
  return {
    read: page.all.length,
    nextCursor: page.nextCursor,
    newestAt: newest ? timestampMs(newest) : 0,
    add,
    remove,
  };
}

/** Most messages one ListMessagesForIndex call returns (MAX_INDEX_FEED of message.index-feed.ts). */
const FEED_PAGE = 1000;

/**
 * What the message indexer reads: MessageInternalService's client (ListMessagesForIndex), or
 * on the index thread the message module's reader of the store's file, which serves the same
 * pages (message.index-feed.reader.ts, handed to the thread by the wiring).
 */
export interface MessageFeed {
  listMessagesForIndex(req: {
    afterCursor: string;
    untilCursor: string;
    limit: number;
  }): Promise<{ messages: pb.Message[]; nextCursor: string }>;
}

/**
 * The message service's feed (MessageInternalService.ListMessagesForIndex), read in pages of
 * at most FEED_PAGE until `limit` messages or the end: one read is one write of the index,
 * and larger writes are cheaper per message (each touches a B-tree page of the postings
 * once for all its rows).
 */
export function messageSource(feed: MessageFeed): FeedSource {
  return {
    prefix: '',
    async read(after, until, limit) {
      const messages: pb.Message[] = [];
      let cursor = after;
      for (;;) {
        const want = Math.min(FEED_PAGE, limit - messages.length);
        const page = await feed.listMessagesForIndex({
          afterCursor: cursor,
          untilCursor: until,
          limit: want,
        });
        messages.push(...page.messages);
        cursor = page.nextCursor;
        // A short page is the end (an EDIT comes with the message it edited: never short).
        if (page.messages.length < want || messages.length >= limit) break;
      }
      return { ...changesOf(messages), nextCursor: cursor };
    },
  };
}

/**
 * Feed messages as changes, in feed order: a message recalled later in the batch is not
 * added; one edited (removed, then read again as it is now) is added afresh.
 */
function changesOf(messages: readonly pb.Message[]): Omit<FeedPage, 'nextCursor'> {
  const docs = new Map<string, IndexDoc | null>();
  const remove: DocKey[] = [];
  for (const m of messages) {
    const c = changeOf(m);
    if (c.remove) {
      remove.push(c.remove);
      docs.set(docKey(c.remove), null);
    }
    if (c.add) docs.set(docKey(c.add), c.add);
  }
  const add = [...docs.values()].filter((d): d is IndexDoc => d !== null);
  const newest = messages[messages.length - 1]?.createdAt;
  return { read: messages.length, newestAt: newest ? timestampMs(newest) : 0, add, remove };
}

export interface IndexerDeps {
  index: SearchIndex;
  source: FeedSource;
  clock: Clock;
  logger: Logger;
  /** Names this indexer in the lease (several workers: one indexes at a time). */
  instanceId: string;
  config: { pollIntervalMs: number; batchSize: number; settleSeconds: number };
  /** Each indexed batch: how many items, and how old the newest was, ms. */
  onBatch?(items: number, lagMs: number): void;
}

/**
 * The search indexer: follows a feed (the message store through MessageInternalService, or
 * moments through MomentsInternalService), asynchronously (sends never wait for it), and keeps
 * the index in step: new messages in, recalled ones out. One indexer runs per feed, each with
 * its own cursor and lease. Its place is saved in the index with every batch, in the same
 * transaction, so a stopped indexer continues where it was and `mychat search reindex`
 * (which empties the index) makes it start over.
 *
 * Ids are made before the transaction that stores a message commits, so a message may
 * become visible after a newer one was read (a slow transaction, a second message process).
 * The `hot` pass reads each message as soon as it is there; the `settled` cursor follows
 * `settleSeconds` behind and reads again what was young when read, adding what came late.
 * Messages that were already that old when first read are settled at once (a rebuild reads
 * each message once).
 */
export class SearchIndexer {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private leaseUntil = 0;
  private lease = '';
  private lastError = 0;
  private readonly stateName: string;
  private readonly leaseName: string;
  /** Items per read and write: batchSize, or less when the feed takes less. */
  private readonly limit: number;

  constructor(private readonly d: IndexerDeps) {
    this.stateName = `${d.source.prefix}cursor`;
    this.leaseName = `${d.source.prefix}lease`;
    this.limit = Math.min(d.config.batchSize, d.source.maxRead ?? Infinity);
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the current step and hands the lease back (a restarted worker goes on at once). */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    if (this.lease) {
      await this.d.index.swapState(this.leaseName, this.lease, `${this.d.instanceId} 0`).catch(() => false);
      this.lease = '';
      this.leaseUntil = 0;
    }
  }

  /**
   * Steps until there is nothing left to read (a rebuild, tests); false when another indexer
   * (a running worker) holds the lease and does the work instead.
   */
  async catchUp(): Promise<boolean> {
    for (;;) {
      const read = await this.step();
      if (read < 0) return false;
      if (read === 0) return true;
    }
  }

  /**
   * One hot batch, then one settle batch if the hot one read nothing or the settle pass is
   * overdue: how many messages it read; -1 without the lease. Under traffic that never stops
   * every hot read finds something, and without "overdue" a message committed late would wait
   * for the next lull (hours on a busy server) and the settle pass would then read the whole
   * day again at once.
   */
  async step(): Promise<number> {
    const now = this.d.clock.now();
    if (!(await this.holdLease(now))) return -1;
    const state = decodeState(await this.d.index.state(this.stateName));
    const { read, next } = await this.hot(state, now);
    if (read === 0) return this.settle(state, now);
    if (!this.settleOverdue(state, now)) return read;
    // As much again as the hot batch (at least OVERDUE_SETTLE_MIN): the second pass keeps pace
    // with the traffic instead of reading its whole backlog in one burst on the event loop.
    // From the state the hot batch wrote (if someone else moved it meanwhile, this write is
    // refused like the hot one was, and the next step reads the cursor again).
    const most = Math.min(this.limit, Math.max(read, OVERDUE_SETTLE_MIN));
    return read + (await this.settle(next, now, most));
  }

  /** The settle cursor trails the hot one and is more than settleSeconds behind its horizon. */
  private settleOverdue(state: FeedState, now: number): boolean {
    const overdue = idAt(now - 2 * this.d.config.settleSeconds * 1000);
    return state.settled !== state.hot && big(state.settled) < big(overdue);
  }

  private async run(): Promise<void> {
    while (this.running) {
      let read = 0;
      try {
        read = await this.step();
      } catch (err) {
        // The message service restarting, the database away: try again after a pause.
        const now = this.d.clock.now();
        if (now - this.lastError > 60_000) this.d.logger.warn({ err }, 'search indexer step failed');
        this.lastError = now;
      }
      if (read < this.limit && this.running) await this.sleep(this.d.config.pollIntervalMs);
    }
  }

  /** One hot batch: how many messages it read, and the cursors it wrote. */
  private async hot(state: FeedState, now: number): Promise<{ read: number; next: FeedState }> {
    const page = await this.d.source.read(state.hot, '', this.limit);
    if (!page.read) return { read: 0, next: state };
    // What was already settleSeconds old when read can come late no more: settled with it,
    // unless younger reads wait before it.
    const horizon = idAt(now - this.d.config.settleSeconds * 1000);
    const settled =
      state.settled === state.hot
        ? big(page.nextCursor) <= big(horizon)
          ? page.nextCursor
          : state.settled
        : state.settled;
    const next = { hot: page.nextCursor, settled };
    await this.apply(page, state, next);
    this.d.onBatch?.(page.read, page.newestAt ? now - page.newestAt : 0);
    return { read: page.read, next };
  }

  private async settle(state: FeedState, now: number, limit = this.limit): Promise<number> {
    const horizon = idAt(now - this.d.config.settleSeconds * 1000);
    const until = big(state.hot) < big(horizon) ? state.hot : horizon;
    if (big(state.settled) >= big(until)) return 0;
    const page = await this.d.source.read(state.settled, until, limit);
    // More than the limit: an EDIT read with the message it edited.
    const full = page.read >= limit;
    await this.apply(page, state, { hot: state.hot, settled: full ? page.nextCursor : until });
    // An empty range still moved the cursor: worth another step at once only when full.
    return page.read;
  }

  private async apply(page: FeedPage, from: FeedState, to: FeedState): Promise<void> {
    const ok = await this.d.index.write(
      { add: page.add, remove: page.remove },
      { name: this.stateName, expect: encodeState(from), next: encodeState(to) },
    );
    // Another writer moved the cursor (a rebuild started): the next step reads it again.
    if (!ok) this.d.logger.info('search index cursor moved by someone else; reading it again');
  }

  /** Whether this indexer may write: it holds (or took) the lease, renewed at half time. */
  private async holdLease(now: number): Promise<boolean> {
    if (now < this.leaseUntil - LEASE_MS / 2) return true;
    const current = await this.d.index.state(this.leaseName);
    const [holder = '', until = '0'] = (current ?? '').split(' ');
    if (current !== undefined && holder !== this.d.instanceId && Number(until) > now) return false;
    const mine = `${this.d.instanceId} ${now + LEASE_MS}`;
    if (!(await this.d.index.swapState(this.leaseName, current ?? '', mine))) return false;
    this.lease = mine;
    this.leaseUntil = now + LEASE_MS;
    return true;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}
