import { atLeast, Backoff, sleep } from './backoff.js';
import type { ChatStore } from './chat-store.js';
import { toMyChatError, type MyChatError } from './errors.js';
import type { ChatMessage, OutboxEntry, SendStateEvent } from './types.js';

/** Failures after which the same send (same clientMsgId) is simply tried again. */
const TRANSIENT = new Set(['CONNECTION_LOST', 'TIMEOUT', 'NETWORK', 'UNAVAILABLE', 'DEADLINE_EXCEEDED']);
/** Failures that may or may not repeat: tried a few times before the send fails. */
const UNCERTAIN = new Set(['INTERNAL', 'UNKNOWN', 'PROTOCOL']);

/** How a send reaches the server (the live socket, or RPC). Resolves once the message is durable. */
export interface SendLink {
  send(entry: OutboxEntry): Promise<{ message: ChatMessage; duplicate: boolean }>;
}

export interface OutboxHooks {
  /** The server stored the message: hand it to the sync engine (store, emit). */
  sent(message: ChatMessage): Promise<void>;
  state(event: SendStateEvent): void;
}

export interface OutboxOptions {
  /** Attempts for INTERNAL/UNKNOWN answers before the send fails. Default 5. */
  maxUncertainAttempts?: number;
  /** Retry delays after transient failures. Default 500 ms growing to 15 s. */
  backoff?: { baseMs?: number; capMs?: number; random?: () => number };
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Sends that have not been acknowledged yet. Each entry is stored before the first attempt and
 * removed only on the ack or a permanent failure, so it survives reconnects (and, with a
 * persistent store, restarts). Every retry reuses the clientMsgId: the server answers a repeat
 * with the original message, so a lost ack never makes a duplicate.
 */
export class Outbox {
  private readonly waiters = new Map<
    string,
    { resolve: (m: ChatMessage) => void; reject: (e: MyChatError) => void }
  >();
  private readonly running = new Set<string>();
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly store: ChatStore,
    private readonly link: SendLink,
    private readonly hooks: OutboxHooks,
    private readonly opts: OutboxOptions = {},
  ) {
    this.sleep = opts.sleep ?? ((ms) => sleep(ms));
  }

  /** Queues a send; resolves with the stored message, rejects with the permanent error. */
  async send(entry: OutboxEntry): Promise<ChatMessage> {
    await this.store.putOutbox(entry);
    const done = new Promise<ChatMessage>((resolve, reject) =>
      this.waiters.set(entry.clientMsgId, { resolve, reject }),
    );
    this.hooks.state({
      conversationId: entry.conversationId,
      clientMsgId: entry.clientMsgId,
      state: 'pending',
    });
    void this.run(entry);
    return done;
  }

  /** Restarts entries left in the store (from an earlier run) that are not in flight. */
  async resume(): Promise<void> {
    for (const e of await this.store.listOutbox()) if (!this.running.has(e.clientMsgId)) void this.run(e);
  }

  private async run(entry: OutboxEntry): Promise<void> {
    const id = entry.clientMsgId;
    if (this.running.has(id)) return;
    this.running.add(id);
    const backoff = new Backoff({ baseMs: 500, capMs: 15_000, ...this.opts.backoff });
    let uncertain = 0;
    try {
      for (;;) {
        let error: MyChatError;
        try {
          const { message } = await this.link.send(entry);
          await this.store.deleteOutbox(id);
          this.hooks.state({
            conversationId: entry.conversationId,
            clientMsgId: id,
            state: 'sent',
            seq: message.seq,
          });
          // Stored by the server: if the local store fails now, the next sync brings it.
          await this.hooks.sent(message).catch(() => undefined);
          this.waiters.get(id)?.resolve(message);
          return;
        } catch (err) {
          error = toMyChatError(err);
        }
        if (TRANSIENT.has(error.reason)) await this.sleep(backoff.next());
        else if (error.reason === 'RATE_LIMITED')
          await this.sleep(atLeast((error.retryAfterSeconds || 1) * 1000));
        else if (UNCERTAIN.has(error.reason) && ++uncertain < (this.opts.maxUncertainAttempts ?? 5))
          await this.sleep(backoff.next());
        else {
          await this.store.deleteOutbox(id);
          this.hooks.state({ conversationId: entry.conversationId, clientMsgId: id, state: 'failed', error });
          this.waiters.get(id)?.reject(error);
          return;
        }
      }
    } finally {
      this.running.delete(id);
      this.waiters.delete(id);
    }
  }
}
