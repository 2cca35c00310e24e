import { Code, ConnectError } from '@connectrpc/connect';
import { isUniqueViolation } from '../../adapters/sql/sql.js';
import { currentRequest } from '../../kernel/request-context.js';
import type { MessageStore } from './store/message-store.js';
import type { MessageRow } from './message.tables.js';

/** Most sends one transaction carries. */
const MAX_BATCH = 256;
/** Most delivered-cursor moves one transaction carries. */
const MAX_CURSORS = 1024;

interface Waiting {
  row: MessageRow;
  /** When the sender stops waiting (`performance.now()` clock), if it said. */
  deadline: number | undefined;
  done: (err?: unknown) => void;
}

interface CursorMove {
  convId: string;
  userId: string;
  seq: number;
  done: (moved: boolean, err?: unknown) => void;
}

/**
 * Group commit for new messages. Sends that arrive while a transaction is being written
 * wait for it to finish and then go into the next transaction together: one BEGIN/COMMIT
 * (one WAL write on SQLite, one round of fsync elsewhere) and one multi-row INSERT for many
 * messages. There is no timer: an idle writer starts on the next turn of the event loop,
 * so a lone send waits for nothing, and the batch grows only as fast as the database is
 * slow. The delivery contract holds per message: its seq is born in the transaction that
 * stores it, and `store` resolves only after that transaction committed.
 *
 * Delivered cursors ride along: every client acknowledges what it received, so at a high
 * rate these are as many as the sends, and one autocommit UPDATE each would be a WAL
 * commit each. They join the same transaction as the sends.
 */
export class MessageWriter {
  private queue: Waiting[] = [];
  private cursors: CursorMove[] = [];
  private running = false;

  constructor(private readonly messages: MessageStore) {}

  /** Stores a new message (setting its `seq`); resolves after the commit. */
  store(row: MessageRow): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({
        row,
        deadline: currentRequest()?.deadline,
        done: (err) => (err === undefined ? resolve() : reject(err)),
      });
      this.wake();
    });
  }

  /**
   * Moves a member's delivered cursor forward to `seq` (never back); resolves after the
   * commit with whether it moved.
   */
  advanceDelivered(convId: string, userId: string, seq: number): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.cursors.push({
        convId,
        userId,
        seq,
        done: (moved, err) => (err === undefined ? resolve(moved) : reject(err)),
      });
      this.wake();
    });
  }

  private wake(): void {
    if (this.running) return;
    this.running = true;
    setImmediate(() => void this.drain());
  }

  private async drain(): Promise<void> {
    try {
      // The next transaction starts as soon as one ends, with what queued meanwhile; never
      // a turn later: under a backlog turns are long, and a writer held to one transaction
      // per turn falls further behind with each (measured: docs/performance.md).
      while (this.queue.length || this.cursors.length) {
        const batch = this.take(MAX_BATCH);
        const cursors = this.cursors.splice(0, MAX_CURSORS);
        let now = 0;
        for (const w of batch) now = Math.max(now, w.row.createdAt);
        if (batch.length || cursors.length) await this.write(batch, cursors, now);
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * The next waiting sends, skipping those whose sender already gave up: under overload
   * they would only make the queue longer (the client retries with the same id anyway).
   */
  private take(n: number): Waiting[] {
    const t = performance.now();
    const batch: Waiting[] = [];
    let i = 0;
    for (; i < this.queue.length && batch.length < n; i++) {
      const w = this.queue[i]!;
      if (w.deadline !== undefined && t >= w.deadline)
        w.done(new ConnectError('the caller stopped waiting; nothing was done', Code.DeadlineExceeded));
      else batch.push(w);
    }
    this.queue = this.queue.slice(i);
    return batch;
  }

  private async write(batch: Waiting[], cursors: CursorMove[], now: number): Promise<void> {
    let moved: boolean[] = [];
    try {
      await this.messages.groupCommit(async (tx) => {
        if (batch.length)
          await this.messages.storeNew(
            tx,
            batch.map((w) => w.row),
            now,
          );
        if (cursors.length) moved = await this.messages.advanceDeliveredMany(tx, cursors);
      });
    } catch (err) {
      // One retried send (same sender and client id as a stored message) fails the whole
      // batch on the unique index: store the others one by one, so each gets its own answer.
      if (batch.length + cursors.length > 1 && isUniqueViolation(err)) {
        for (const w of batch) await this.write([w], [], now);
        if (cursors.length) await this.write([], cursors, now);
        return;
      }
      for (const w of batch) w.done(err);
      for (const c of cursors) c.done(false, err);
      return;
    }
    for (const w of batch) w.done();
    cursors.forEach((c, i) => c.done(moved[i] ?? false));
  }
}
