import type { Clock } from '../../kernel/clock.js';
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
 * Brings the message service up to date with contacts: after a change commits (with a
 * pending-sync mark written in the same transaction), the full state of the pair or group
 * is read and sent. Reading and sending happen one at a time per conversation, so the last
 * state sent is never older than the last change. A mark whose send failed stays, and the
 * repair loop sends the then-current state again until it succeeds.
 */
export class ConversationSync {
  private readonly queue = new KeyedQueue();
  private timer: NodeJS.Timeout | undefined;
  private repairing: Promise<void> | undefined;

  constructor(
    private readonly deps: {
      contacts: ContactsRepository;
      groups: GroupsRepository;
      conversations: Conversations;
      clock: Clock;
      logger: Logger;
      /** How often the repair loop runs, and how old a mark must be before it retries it, ms. */
      repairIntervalMs: number;
    },
  ) {}

  /** Sends a pair's state; returns the conversation id (stored on the friendship). */
  direct(a: string, b: string, token: string, requestId: string): Promise<string> {
    const key = pairKey(a, b);
    return this.queue.run(key, async () => {
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
    return this.queue.run(key, async () => {
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

  start(): void {
    this.timer = setInterval(() => {
      this.repairing ??= this.repairOnce()
        .then(() => undefined)
        .catch((err: unknown) => this.deps.logger.warn({ err }, 'conversation repair loop failed'))
        .finally(() => (this.repairing = undefined));
    }, this.deps.repairIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.repairing;
  }
}
