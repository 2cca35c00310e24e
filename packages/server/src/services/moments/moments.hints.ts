import type { moments } from '@mychat/protocol';

/** Pushes one hint to users' live sockets now (MomentPush.hintNow). */
export type HintSender = (userIds: readonly string[], hint: moments.MomentHint) => Promise<void>;

/** Runs `fn` after `ms` (setTimeout, or a test's clock); returns a way to cancel it. */
export type HintTimer = (fn: () => void, ms: number) => () => void;

const realTimer: HintTimer = (fn, ms) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};

/**
 * Holds the fan-out's `moment_hint` pushes for a short window and sends all of them in one
 * event-loop turn. Every hint is still sent, to the same people, unchanged (each is its own
 * frame, so the red dot and what the client does with a hint are as before); what changes is
 * that a socket gets the hints of a window in one write: a socket corks the frames of a turn
 * (ws-connection.ts), and at 20 posts a second with 200 friends each, about 4 000 hints a
 * second, one system call each, were the largest part of the server's socket writes. A hint
 * waits at most `windowMs` longer; 0 sends each at once.
 */
export class HintBatch {
  private held: { userIds: readonly string[]; hint: moments.MomentHint }[] = [];
  private cancel: (() => void) | undefined;

  constructor(
    private readonly send: HintSender,
    private readonly windowMs: number,
    private readonly timer: HintTimer = realTimer,
  ) {}

  /** Hints waiting for the end of the window (for tests). */
  get waiting(): number {
    return this.held.length;
  }

  add(userIds: readonly string[], hint: moments.MomentHint): Promise<void> {
    if (userIds.length === 0) return Promise.resolve();
    if (this.windowMs === 0) return this.send(userIds, hint);
    this.held.push({ userIds, hint });
    this.cancel ??= this.timer(() => void this.flush(), this.windowMs);
    return Promise.resolve();
  }

  /** Sends what is held now, all in this turn (also on stop, so nothing held is dropped). */
  async flush(): Promise<void> {
    this.cancel?.();
    this.cancel = undefined;
    const batch = this.held;
    this.held = [];
    await Promise.all(batch.map((b) => this.send(b.userIds, b.hint)));
  }
}
