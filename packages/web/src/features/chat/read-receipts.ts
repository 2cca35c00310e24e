import type { ReadReceipts } from '@mychat/sdk';

/** What a ReadReceiptCache asks with, and where it reports what it learned. */
export interface ReadReceiptCacheOptions {
  /** Asks the server (in the app: client.messages.readReceipts). */
  fetch(conversationId: string, seq: number): Promise<ReadReceipts>;
  /** A message's receipts changed; called only with a value different from the last one. */
  onChange(conversationId: string, seq: number, receipts: ReadReceipts): void;
  /**
   * True for an error that asking again cannot fix (NOT_FOUND after leaving the group): that
   * message is never asked again and keeps what it showed. Other errors wait for the next refresh.
   */
  isPermanent?(err: unknown): boolean;
  /** Requests in flight at once. Default 3. */
  concurrency?: number;
  /** One message is asked at most once per this many ms. Default 5 000. */
  minIntervalMs?: number;
  /** A message shown again after this long is asked again (big groups push no receipts). Default 60 000. */
  maxAgeMs?: number;
  /**
   * How long the first request of a render waits, so the rows of one render go out together
   * (newest first) and rows scrolled past in that time are not asked at all. Default 50.
   */
  batchDelayMs?: number;
}

interface Entry {
  conversationId: string;
  seq: number;
  value?: ReadReceipts;
  /** How many rows show it now. */
  shown: number;
  /** To be asked: never asked, or a receipt or focus came since it was last asked. */
  stale: boolean;
  inFlight: boolean;
  /** When it was last asked (Date.now()). */
  askedAt: number;
  /** A permanent error: never asked again. */
  dead: boolean;
}

const same = (a: ReadReceipts | undefined, b: ReadReceipts) =>
  !!a &&
  a.readCount === b.readCount &&
  a.deliveredCount === b.deliveredCount &&
  a.memberCount === b.memberCount &&
  a.readerIds.join() === b.readerIds.join();

/**
 * Read counts of one's own group messages, asked lazily: only for messages a row shows, at most
 * `concurrency` requests at once (newest first), each message at most once per `minIntervalMs`,
 * cached per (conversation, seq). A count only grows: an answer with fewer readers than the
 * cached one (a reader who hid their receipts since) is ignored. A failed request keeps what was
 * shown. Framework-free, so it is tested without a browser; reads.store.ts wires it to the app.
 */
export class ReadReceiptCache {
  private readonly entries = new Map<string, Entry>();
  /** Entries some row shows now: the only ones ever asked. */
  private readonly visible = new Set<Entry>();
  private active = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;
  private readonly concurrency: number;
  private readonly minIntervalMs: number;
  private readonly maxAgeMs: number;
  private readonly batchDelayMs: number;

  constructor(private readonly opts: ReadReceiptCacheOptions) {
    this.concurrency = Math.max(1, opts.concurrency ?? 3);
    this.minIntervalMs = opts.minIntervalMs ?? 5_000;
    this.maxAgeMs = opts.maxAgeMs ?? 60_000;
    this.batchDelayMs = opts.batchDelayMs ?? 50;
  }

  /** What is known about a message, if anything yet. */
  get(conversationId: string, seq: number): ReadReceipts | undefined {
    return this.entries.get(key(conversationId, seq))?.value;
  }

  /**
   * A row shows this message: ask for it if it is not known, or known for longer than maxAgeMs.
   * Returns the function to call when the row goes away (idempotent).
   */
  show(conversationId: string, seq: number): () => void {
    const k = key(conversationId, seq);
    let e = this.entries.get(k);
    if (!e) {
      e = { conversationId, seq, shown: 0, stale: true, inFlight: false, askedAt: -Infinity, dead: false };
      this.entries.set(k, e);
    }
    const entry = e;
    entry.shown++;
    this.visible.add(entry);
    if (entry.value && Date.now() - entry.askedAt >= this.maxAgeMs) entry.stale = true;
    if (entry.stale && !entry.dead) this.wake(this.batchDelayMs);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--entry.shown === 0) this.visible.delete(entry);
    };
  }

  /**
   * Someone's read cursor moved from `afterSeq` to `upToSeq` (a receipt), or the chat is in front
   * again: the messages of this conversation (all when undefined) in that range are asked again,
   * the shown ones now (within the per-message interval), the others when shown next.
   */
  refresh(conversationId?: string, upToSeq = Infinity, afterSeq = 0): void {
    let shown = false;
    for (const e of this.entries.values()) {
      if (e.dead || e.seq > upToSeq || e.seq <= afterSeq) continue;
      if (conversationId !== undefined && e.conversationId !== conversationId) continue;
      e.stale = true;
      shown ||= e.shown > 0;
    }
    if (shown) this.wake(this.batchDelayMs);
  }

  /** Asks again for one message (the reader opened its list), within the per-message interval. */
  refreshOne(conversationId: string, seq: number): void {
    const e = this.entries.get(key(conversationId, seq));
    if (!e || e.dead) return;
    e.stale = true;
    if (e.shown) this.wake(0);
  }

  /** Runs pump after delayMs, unless it is due sooner already. */
  private wake(delayMs: number): void {
    const at = Date.now() + delayMs;
    if (this.timer !== undefined && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.pump();
    }, delayMs);
  }

  /** Starts requests for the shown stale messages, newest first, up to the concurrency. */
  private pump(): void {
    const now = Date.now();
    let nextAt = Infinity;
    while (this.active < this.concurrency) {
      let best: Entry | undefined;
      for (const e of this.visible) {
        if (!e.stale || e.inFlight || e.dead) continue;
        const readyAt = e.askedAt + this.minIntervalMs;
        if (readyAt > now) nextAt = Math.min(nextAt, readyAt);
        else if (!best || e.seq > best.seq) best = e;
      }
      if (!best) break;
      void this.ask(best);
    }
    if (nextAt < Infinity) this.wake(nextAt - now);
  }

  private async ask(e: Entry): Promise<void> {
    e.inFlight = true;
    e.stale = false;
    e.askedAt = Date.now();
    this.active++;
    let got: ReadReceipts;
    try {
      got = await this.opts.fetch(e.conversationId, e.seq);
    } catch (err) {
      // Keeps what it showed; a network error is asked again on the next refresh.
      if (this.opts.isPermanent?.(err)) e.dead = true;
      return;
    } finally {
      e.inFlight = false;
      this.active--;
      this.wake(0);
    }
    if (e.value && got.readCount < e.value.readCount) return;
    if (same(e.value, got)) return;
    e.value = got;
    this.opts.onChange(e.conversationId, e.seq, got);
  }
}

const key = (conversationId: string, seq: number) => `${conversationId}:${seq}`;
