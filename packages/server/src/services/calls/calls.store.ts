import type { Kv } from '../../adapters/kv/kv.js';
import { AppError, ErrorCode } from '../../kernel/errors.js';
import type { CallState } from './calls.machine.js';

/** How long a call's state is kept after its last change while it goes on, and after its end. */
const LIVE_TTL_MS = 6 * 3600_000;
const ENDED_TTL_MS = 10 * 60_000;
const LOCK_TTL_MS = 5000;
const LOCK_TRIES = 200;

const callKey = (id: string) => `call:${id}`;
const convKey = (convId: string) => `call:conv:${convId}`;
const userKey = (userId: string) => `call:user:${userId}`;

/**
 * Calls' state in the key-value store, so that any process of the calls service (and any
 * gateway in front of them) sees the same calls: the call, the live call of each conversation
 * and of each user, and a short lock that serialises changes to one call or conversation
 * across processes (SET NX with a TTL on Redis; a crashed holder's lock expires).
 */
export class CallStore {
  constructor(
    private readonly kv: Kv,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  async get(id: string): Promise<CallState | undefined> {
    const raw = await this.kv.get(callKey(id));
    return raw ? (JSON.parse(raw) as CallState) : undefined;
  }

  /** Saves a call and points its conversation and its participants at it (or away, once ended). */
  async save(call: CallState, occupying: readonly string[]): Promise<void> {
    const ended = call.status === 'ended';
    await this.kv.set(callKey(call.id), JSON.stringify(call), { ttlMs: ended ? ENDED_TTL_MS : LIVE_TTL_MS });
    if (ended) {
      await this.releaseIf(convKey(call.conversationId), call.id);
      await Promise.all(call.participants.map((p) => this.releaseIf(userKey(p.userId), call.id)));
      return;
    }
    await this.kv.set(convKey(call.conversationId), call.id, { ttlMs: LIVE_TTL_MS });
    const here = new Set(occupying);
    await Promise.all(
      call.participants.map((p) =>
        here.has(p.userId)
          ? this.kv.set(userKey(p.userId), call.id, { ttlMs: LIVE_TTL_MS })
          : this.releaseIf(userKey(p.userId), call.id),
      ),
    );
  }

  /** The id of the live call of a conversation, if any. */
  conversationCall(convId: string): Promise<string | null> {
    return this.kv.get(convKey(convId));
  }

  /** The id of the call a user is in or rung for, if any. */
  userCall(userId: string): Promise<string | null> {
    return this.kv.get(userKey(userId));
  }

  /** Runs `fn` holding the lock `name` (a call or a conversation), across processes. */
  async locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const key = `call:lock:${name}`;
    const token = `${process.pid}:${Math.random()}`;
    for (let i = 0; ; i++) {
      if (await this.kv.set(key, token, { ifAbsent: true, ttlMs: LOCK_TTL_MS })) break;
      if (i >= LOCK_TRIES) throw new AppError(ErrorCode.UNAVAILABLE, 'the call is busy; try again');
      await this.sleep(5 + Math.min(i, 20));
    }
    try {
      return await fn();
    } finally {
      if ((await this.kv.get(key)) === token) await this.kv.del(key);
    }
  }

  private async releaseIf(key: string, id: string): Promise<void> {
    if ((await this.kv.get(key)) === id) await this.kv.del(key);
  }
}
