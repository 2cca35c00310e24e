import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kv } from '../../adapters/kv/kv.js';
import type { Clock } from '../../kernel/clock.js';
import { AppError, ErrorCode } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';
import type { Conversations, GroupState } from './contacts.peers.js';
import { pairKey, type ContactsRepository } from './contacts.repository.js';
import type { GroupsRepository } from './groups.repository.js';

/** Runs tasks with the same key one after another (in this process). */
class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(task, task);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

/**
 * Runs tasks with the same key one at a time across every contacts process sharing the kv
 * (Redis in a cluster): a lock key with a TTL, so a holder that dies frees it by itself.
 */
export class KvMutex {
  constructor(
    private readonly kv: Kv,
    /** Longer than any task may take (an internal call's deadline plus SQL). */
    private readonly ttlMs: number,
    /** How long to wait for the lock before giving up (the repair loop retries later). */
    private readonly waitMs: number,
  ) {}

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const lock = `contacts:sync-lock:${key}`;
    const token = randomUUID();
    const giveUpAt = Date.now() + this.waitMs;
    for (let delay = 2; !(await this.kv.set(lock, token, { ttlMs: this.ttlMs, ifAbsent: true }));) {
      if (Date.now() > giveUpAt)
        throw new AppError(
          ErrorCode.UNAVAILABLE,
          'the change is saved but chats are not updated yet; it will complete shortly',
        );
      await sleep(delay);
      delay = Math.min(delay * 2, 100);
    }
    try {
      return await task();
    } finally {
      // Not ours any more when it expired and another process took it: leave theirs alone.
      if ((await this.kv.get(lock).catch(() => null)) === token) await this.kv.del(lock).catch(() => false);
    }
  }
}

/** Only one contacts process runs a repair round per interval. */
const REPAIR_LEASE = 'contacts:repair-lease';

/**
 * Brings the message service up to date with contacts: after a change commits (with a
 * pending-sync mark written in the same transaction), the full state of the pair or group
 * is read and sent. Reading and sending happen one at a time per conversation, in this
 * process (a queue) and across contacts processes (a kv lock), so the last state sent is
 * never older than the last change, whichever process handled which change. A mark whose
 * send failed stays, and the repair loop sends the then-current state again until it succeeds.
 */
export class ConversationSync {
  private readonly queue = new KeyedQueue();
  private readonly mutex: KvMutex;
  private readonly instance = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private repairing: Promise<void> | undefined;

  constructor(
    private readonly deps: {
      contacts: ContactsRepository;
      groups: GroupsRepository;
      conversations: Conversations;
      /** Shared with the other contacts processes: the per-conversation lock and the repair lease. */
      kv: Kv;
      clock: Clock;
      logger: Logger;
      /** How often the repair loop runs, and how old a mark must be before it retries it, ms. */
      repairIntervalMs: number;
      /** The deadline of internal calls; the lock outlives it. */
      callTimeoutMs?: number;
    },
  ) {
    const callMs = deps.callTimeoutMs ?? 10_000;
    this.mutex = new KvMutex(deps.kv, callMs * 3, callMs);
  }

  /** One conversation's read-and-send, serialised in this process and across processes. */
  private serial<T>(key: string, task: () => Promise<T>): Promise<T> {
    return this.queue.run(key, () => this.mutex.run(key, task));
  }

  /** Sends a pair's state; returns the conversation id (stored on the friendship). */
  direct(a: string, b: string, token: string, requestId: string): Promise<string> {
    const key = pairKey(a, b);
    return this.serial(key, async () => {
      const { contacts, conversations } = this.deps;
      const friends = (await contacts.friend(a, b)) !== undefined;
      const [aBlocksB, bBlocksA] = await Promise.all([contacts.blocks(a, b), contacts.blocks(b, a)]);
      // A side cannot send when they are not friends, or when the other side blocks them.
      const reason = (blockedByOther: boolean) =>
        !friends ? 'not_friends' : blockedByOther ? 'blocked' : '';
      const conversationId = await conversations.applyDirect(
        {
          userA: a,
          userB: b,
          aCanSend: friends && !bBlocksA,
          bCanSend: friends && !aBlocksB,
          aReason: reason(bBlocksA),
          bReason: reason(aBlocksB),
          // "You are now friends" opens the chat; the message service writes it only once.
          ...(friends && { event: { kind: 'friend_added', args: {} } }),
        },
        requestId,
      );
      if (friends && conversationId) await contacts.setConversationId(a, b, conversationId);
      await contacts.clearSync(key, token);
      return conversationId;
    });
  }

  /**
   * Sends a group's complete membership (empty once the group is dissolved), with the
   * system event of the change that caused it when there is one.
   */
  group(
    groupId: string,
    token: string,
    requestId: string,
    change: { actorId: string; event?: GroupState['event']; dissolvedName?: string },
  ): Promise<void> {
    const key = `g:${groupId}`;
    return this.serial(key, async () => {
      const { groups, conversations, contacts } = this.deps;
      const g = await groups.group(groupId);
      const members = g ? await groups.members(groupId) : [];
      await conversations.applyGroup(
        {
          conversationId: groupId,
          name: g?.name ?? change.dissolvedName ?? '',
          mutedAll: g?.mutedAll ?? false,
          members: members.map((m) => ({ userId: m.userId, role: m.role, mutedUntilMs: m.mutedUntil })),
          ...(change.event && { event: change.event }),
          actorId: change.actorId,
        },
        requestId,
      );
      await contacts.clearSync(key, token);
    });
  }

  /** Retries every mark older than one interval (their first send failed, or the process died). */
  async repairOnce(): Promise<number> {
    const { contacts, clock, logger, repairIntervalMs } = this.deps;
    const pending = await contacts.pendingSync(clock.now() - repairIntervalMs, 100);
    let repaired = 0;
    for (const { key, token } of pending) {
      const requestId = `repair-${key}`;
      try {
        const [kind, x, y] = key.split(':');
        if (kind === 'd' && x && y) await this.direct(x, y, token, requestId);
        else if (kind === 'g' && x) await this.group(x, token, requestId, { actorId: '' });
        else await contacts.clearSync(key, token);
        repaired++;
      } catch (err) {
        logger.warn({ err, sync_key: key }, 'conversation repair failed; will retry');
      }
    }
    if (repaired > 0) logger.info({ repaired }, 'conversations repaired');
    return repaired;
  }

  /** One repair round, unless another contacts process holds this interval's lease. */
  private async repairIfLeader(): Promise<void> {
    const { kv, repairIntervalMs } = this.deps;
    // The leader renews its lease every tick; it outlives one interval, so a dead leader is
    // replaced by another process within two.
    const ttlMs = Math.ceil(repairIntervalMs * 1.5);
    const mine =
      (await kv.get(REPAIR_LEASE)) === this.instance
        ? await kv.expire(REPAIR_LEASE, ttlMs)
        : await kv.set(REPAIR_LEASE, this.instance, { ttlMs, ifAbsent: true });
    if (mine) await this.repairOnce();
  }

  /** Runs one tick of the repair loop now (tests; the timer calls the same). */
  tick(): Promise<void> {
    return (this.repairing ??= this.repairIfLeader()
      .catch((err: unknown) => this.deps.logger.warn({ err }, 'conversation repair loop failed'))
      .finally(() => (this.repairing = undefined)));
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.deps.repairIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.repairing;
  }
}
