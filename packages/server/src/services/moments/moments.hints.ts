import type { moments } from '@mychat/protocol';

/** Pushes one hint to users' live sockets now (MomentPush.hintNow). */
export type HintSender = (userIds: readonly string[], hint: moments.MomentHint) => Promise<void>;

/** Runs `fn` after `ms` (setTimeout, or a test's clock); returns a way to cancel it. */
export type HintTimer = (fn: () => void, ms: number) => () => void;

/** Resolves in a later event-loop turn (setImmediate, or a test's hand). */
export type NextTurn = () => Promise<void>;

const realTimer: HintTimer = (fn, ms) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};

const realNextTurn: NextTurn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Users whose hints of a window are sent in one event-loop turn. A window at 20 posts a second
 * with 200 friends each owes ~1 000 hints to ~700 sockets; written in one turn they held the
 * event loop 25-70 ms every window (a socket write each, ~35 us), and every request that came
 * meanwhile waited for it (docs/performance.md). 128 sockets are a few ms.
 */
export const HINT_USERS_PER_TURN = 128;

/**
 * Holds the fan-out's `moment_hint` pushes for a short window and then sends them. Every hint
 * is still sent, to the same people, unchanged (each is its own frame, so the red dot and what
 * the client does with a hint are as before); what changes is that a socket gets the hints of
 * a window in one write: a socket corks the frames of a turn (ws-connection.ts), and at 20
 * posts a second with 200 friends each, about 4 000 hints a second, one system call each,
 * were the largest part of the server's socket writes. A hint waits at most `windowMs` longer
 * (plus the turns of the users before it); 0 sends each at once.
 *
 * The window's users are split into slices of `usersPerTurn`, in the order they were first
 * named, and each slice is sent in a turn of its own: all of one user's hints of the window in
 * the same turn (one write for their socket), no turn longer than its slice's writes.
 */
export class HintBatch {
  private held: { userIds: readonly string[]; hint: moments.MomentHint }[] = [];
  private cancel: (() => void) | undefined;
  /** The windows being sent, one after another (a window's slices span several turns). */
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly send: HintSender,
    private readonly windowMs: number,
    private readonly timer: HintTimer = realTimer,
    private readonly usersPerTurn: number = HINT_USERS_PER_TURN,
    private readonly nextTurn: NextTurn = realNextTurn,
  ) {
    if (!Number.isInteger(usersPerTurn) || usersPerTurn < 1)
      throw new Error(`usersPerTurn must be a positive integer, got ${usersPerTurn}`);
  }

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

  /**
   * Sends what is held now, after the windows still being sent (also on stop, so nothing held
   * is dropped); resolves once all of it is sent.
   */
  flush(): Promise<void> {
    this.cancel?.();
    this.cancel = undefined;
    const batch = this.held;
    this.held = [];
    const run = () => this.sendWindow(batch);
    // A window that failed does not hold back the next.
    const sent = this.sending.then(run, run);
    this.sending = sent.catch(() => undefined);
    return sent;
  }

  private async sendWindow(batch: { userIds: readonly string[]; hint: moments.MomentHint }[]): Promise<void> {
    // Each user's slice: the order in which the window first named them, usersPerTurn a slice.
    const sliceOf = new Map<string, number>();
    // Per slice, per held hint: the hint's users in that slice.
    const slices: (string[] | undefined)[][] = [];
    for (const [h, b] of batch.entries())
      for (const u of b.userIds) {
        let s = sliceOf.get(u);
        if (s === undefined) sliceOf.set(u, (s = Math.floor(sliceOf.size / this.usersPerTurn)));
        ((slices[s] ??= [])[h] ??= []).push(u);
      }
    for (const [s, perHint] of slices.entries()) {
      if (s > 0) await this.nextTurn();
      await Promise.all(perHint.flatMap((ids, h) => (ids ? [this.send(ids, batch[h]!.hint)] : [])));
    }
  }
}
