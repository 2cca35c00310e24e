/**
 * Counts what a run sent and what arrived: each message carries its index and send time in its
 * text, so the receiver measures send-to-receive latency and the recorder knows which
 * deliveries are missing (lost) or repeated (duplicated).
 */
import { summarize, type LatencySummary } from './stats.js';

/** `<index> <send time, epoch ms> ` then padding to the payload size. */
export function payloadText(index: number, bytes: number): string {
  const head = `${index} ${(performance.timeOrigin + performance.now()).toFixed(3)} `;
  return bytes > head.length ? head + 'x'.repeat(bytes - head.length) : head;
}

export function parsePayload(text: string): { index: number; sentAt: number } | undefined {
  const a = text.indexOf(' ');
  const b = text.indexOf(' ', a + 1);
  if (a <= 0 || b <= a) return undefined;
  const index = Number(text.slice(0, a));
  const sentAt = Number(text.slice(a + 1, b));
  return Number.isInteger(index) && Number.isFinite(sentAt) ? { index, sentAt } : undefined;
}

const now = () => performance.timeOrigin + performance.now();

/**
 * Where an acknowledged message was stored, and its receiving devices (asked only for the
 * messages still owed after the run: a group's member list is not copied per message).
 */
export interface Stored {
  conversationId: string;
  seq: number;
  receivers: () => readonly string[];
}

/** A delivery not pushed: message `index` (stored at `seq` of the conversation) to `device`. */
export interface Owed {
  index: number;
  device: string;
  conversationId: string;
  seq: number;
}

/** One latency sample: when it arrived (s since the run started) and how long it took (ms). */
export interface Sample {
  t: number;
  ms: number;
}

export class Recorder {
  /** When sending began (charts count seconds from here); see {@link markStart}. */
  started = now();
  sent = 0;
  acked = 0;
  sendErrors = 0;
  /** Why sends failed: reason -> count. */
  readonly errorReasons: Record<string, number> = {};
  duplicated = 0;
  private readonly expected: number[] = [];
  private readonly ackedIdx = new Set<number>();
  /** Where an acknowledged message was stored, and who should get it (when the run says). */
  private readonly stored = new Map<number, Stored>();
  /** Deliveries owed and not pushed that {@link reconcile} found stored for the receiver. */
  late = 0;
  /** Deliveries owed and not pushed that {@link reconcile} did not find stored for the receiver. */
  missing = 0;
  /** Deliveries owed that {@link reconcile} could not ask about. */
  unchecked = 0;
  private reconciled = false;
  private readonly got: number[] = [];
  private readonly seen = new Map<string, Set<number>>();
  readonly samples: Sample[] = [];
  /** Sends per whole second since the start. */
  readonly sentPerSecond: number[] = [];

  /** Starts the clock at the first send, so connecting is not part of the time axis. */
  markStart(): void {
    this.started = now();
  }

  /** A new message expected at `receivers` devices; returns its index. */
  send(receivers: number): number {
    const i = this.expected.length;
    this.expected.push(receivers);
    this.got.push(0);
    this.sent++;
    const sec = Math.floor((now() - this.started) / 1000);
    this.sentPerSecond[sec] = (this.sentPerSecond[sec] ?? 0) + 1;
    return i;
  }

  sendFailed(err: unknown): void {
    this.sendErrors++;
    const reason = (err instanceof Error ? err.message : String(err)).slice(0, 80);
    this.errorReasons[reason] = (this.errorReasons[reason] ?? 0) + 1;
  }

  /**
   * The server acknowledged message `index`; with where it was stored and the receiving devices
   * (the keys given to {@link receive}), {@link owed} can name the deliveries that never came.
   */
  ack(index: number, stored?: Stored): void {
    this.acked++;
    this.ackedIdx.add(index);
    if (stored) this.stored.set(index, stored);
  }

  /** The deliveries of acknowledged messages (acked with where they are) not pushed so far. */
  owed(): Owed[] {
    const out: Owed[] = [];
    for (const i of this.ackedIdx) {
      const s = this.stored.get(i);
      if (!s || this.got[i]! >= this.expected[i]!) continue;
      for (const device of s.receivers())
        if (!this.seen.get(`${device}|${s.conversationId}`)?.has(s.seq))
          out.push({ index: i, device, conversationId: s.conversationId, seq: s.seq });
    }
    return out;
  }

  /**
   * After the run: asks `stored` (the receiver's own read of the conversation, as a device
   * syncing would) whether each delivery {@link owed} is there, `parallel` at a time. Found ones
   * count as late (stored, not pushed in time), the others as missing, and those it could not
   * ask about (undefined: the receiver's socket is gone) as unchecked; {@link lost} then counts
   * the missing and the unchecked only.
   */
  async reconcile(stored: (o: Owed) => Promise<boolean | undefined>, parallel = 16): Promise<void> {
    const owed = this.owed();
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(parallel, owed.length) }, async () => {
        while (next < owed.length) {
          const found = await stored(owed[next++]!).catch(() => undefined);
          if (found === undefined) this.unchecked++;
          else if (found) this.late++;
          else this.missing++;
        }
      }),
    );
    this.reconciled = true;
  }

  /** A message arrived at `device` (a per-device key); duplicates by (device, conversation, seq). */
  receive(device: string, conversationId: string, seq: number, text: string, at = now()): void {
    const p = parsePayload(text);
    if (!p || p.index >= this.expected.length) return;
    const key = `${device}|${conversationId}`;
    let s = this.seen.get(key);
    if (!s) this.seen.set(key, (s = new Set()));
    if (s.has(seq)) {
      this.duplicated++;
      return;
    }
    s.add(seq);
    this.got[p.index]!++;
    this.samples.push({ t: (at - this.started) / 1000, ms: at - p.sentAt });
  }

  get delivered(): number {
    return this.samples.length;
  }

  /**
   * Deliveries owed for acknowledged messages that never came; after {@link reconcile}, only
   * those the receiver could not read either (the late ones are in {@link late}).
   */
  get lost(): number {
    return this.reconciled ? this.missing + this.unchecked + this.unplaced() : this.owedCount();
  }

  /** Deliveries not pushed (yet), whether or not they are stored. */
  private owedCount(): number {
    let n = 0;
    for (const i of this.ackedIdx) n += Math.max(0, this.expected[i]! - this.got[i]!);
    return n;
  }

  /** Owed deliveries of messages acked without where they were stored: never checked. */
  private unplaced(): number {
    let n = 0;
    for (const i of this.ackedIdx)
      if (!this.stored.has(i)) n += Math.max(0, this.expected[i]! - this.got[i]!);
    return n;
  }

  /** True when every acknowledged message reached all of its receivers. */
  get complete(): boolean {
    return this.owedCount() === 0;
  }

  /** Waits until complete or `ms` passed. */
  async settle(ms: number): Promise<void> {
    const end = performance.now() + ms;
    while (!this.complete && performance.now() < end) await new Promise((r) => setTimeout(r, 25));
  }

  latency(): LatencySummary {
    return summarize(this.samples.map((s) => s.ms));
  }
}
