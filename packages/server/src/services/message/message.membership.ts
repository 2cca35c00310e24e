import { create } from '@bufbuild/protobuf';
import { message as pb } from '@mychat/protocol';
import { isUniqueViolation } from '../../adapters/sql/sql.js';
import { AppError, ErrorCode } from '../../kernel/errors.js';
import type { Clock } from '../../kernel/clock.js';
import type { IdGenerator } from '../../kernel/ids.js';
import { pushFrame, pushToUsers } from '../../contracts/push-envelope.js';
import type { Bus } from '../../adapters/bus/bus.js';
import { conversationViews } from './message.conversations.js';
import type { MessageStore } from './store/message-store.js';
import {
  CONV_DIRECT,
  CONV_ENCRYPTED,
  CONV_GROUP,
  CONV_SELF,
  ROLE_MEMBER,
  SEND_BLOCKED,
  SEND_NOT_FRIENDS,
  SEND_OK,
  type MemberRow,
  type MessageRow,
} from './message.tables.js';
import { encodeContent, messageView, sendBlock } from './message.views.js';
import { blockError } from './message.deps.js';

/** The key of a pair's direct chat: the two ids, smaller first. */
const pairKey = (a: string, b: string) => (BigInt(a) < BigInt(b) ? `${a}:${b}` : `${b}:${a}`);

const sendState = (can: boolean, reason: string) =>
  can ? SEND_OK : reason === 'blocked' ? SEND_BLOCKED : SEND_NOT_FRIENDS;

/**
 * Who may talk where, as the contacts service decides it. Both calls take the complete
 * desired state and are idempotent, so a caller that failed halfway simply calls again.
 */
export class ConversationAdmin {
  constructor(
    private readonly d: {
      store: MessageStore;
      bus: Bus;
      ids: IdGenerator;
      clock: Clock;
    },
  ) {}

  async applyDirect(r: pb.ApplyDirectRequest): Promise<string> {
    const { store } = this.d;
    const [a, b] = [r.userA, r.userB];
    const key = pairKey(a, b);
    const now = this.d.clock.now();
    let conv = await store.directByKey(key);
    if (!conv) {
      try {
        await store.insertConversation(store.db, {
          id: this.d.ids.next(),
          type: CONV_DIRECT,
          direct_key: key,
          name: '',
          muted_all: 0,
          last_seq: 0,
          last_message_at: now,
          created_at: now,
        });
      } catch (err) {
        if (!isUniqueViolation(err)) throw err; // created concurrently: use that one
      }
      conv = (await store.directByKey(key))!;
    }
    const states = new Map([
      [a, sendState(r.aCanSend, r.aReason)],
      [b, sendState(r.bCanSend, r.bReason)],
    ]);
    await this.applyStates(conv.id, states, r.event, now);
    // The pair's encrypted chat follows the friendship exactly as the direct chat does (its
    // "You are now friends" line is the direct chat's alone).
    const encrypted = await store.directByKey(`e2e:${key}`);
    if (encrypted) await this.applyStates(encrypted.id, states, undefined, now);
    return conv.id;
  }

  /**
   * Sets who of a two-person chat may send; tells those whose view changed. `friendsEvent` is
   * the system line written when this apply makes the two friends.
   */
  private async applyStates(
    convId: string,
    states: Map<string, number>,
    friendsEvent: pb.SystemContent | undefined,
    now: number,
  ): Promise<void> {
    const { store } = this.d;
    const changed: string[] = [];
    let event: MessageRow | undefined;
    await store.transaction(async (tx) => {
      const before = new Map<string, MemberRow | undefined>();
      for (const [userId, state] of states) {
        const m = await store.member(convId, userId, tx);
        before.set(userId, m);
        if (!m) {
          await store.insertMember(tx, blankMember(convId, userId, 1, state, 1));
          changed.push(userId);
        } else if (m.sendState !== state) {
          await store.updateMember(tx, convId, userId, { send_state: state });
          changed.push(userId);
        }
      }
      // "You are now friends": written by the apply that makes them friends, never by a retry.
      const friends = (m: { sendState: number } | undefined) => !!m && m.sendState !== SEND_NOT_FRIENDS;
      const nowFriends = [...states.values()].every((sendState) => friends({ sendState }));
      if (friendsEvent && nowFriends && ![...before.values()].every(friends)) {
        event = this.systemRow(convId, await store.nextSeq(tx, convId, now), '0', friendsEvent, now);
        await store.insertMessage(tx, event);
        for (const userId of states.keys()) {
          // Read for both (a side with older unread messages keeps them unread).
          const readSeq = before.get(userId)?.readSeq ?? 0;
          if (readSeq === event.seq - 1)
            await store.updateMember(tx, convId, userId, { read_seq: event.seq, delivered_seq: event.seq });
          if (!changed.includes(userId)) changed.push(userId);
        }
      }
      await store.bumpPts(tx, convId, changed);
    });
    await this.announce(convId, changed);
    if (event) await this.pushEvent(convId, event);
  }

  /**
   * The encrypted chat (type ENCRYPTED) of the caller and a friend, created on first use under
   * the key `e2e:{a}:{b}` (the unique index of 1:1 keys makes two racing opens one chat). Only
   * friends who may message each other now open one: the send states are the direct chat's,
   * and applyDirect keeps them in step afterwards.
   */
  async ensureEncrypted(userId: string, peerId: string): Promise<string> {
    const { store } = this.d;
    const key = pairKey(userId, peerId);
    const direct = userId === peerId ? undefined : await store.directByKey(key);
    const mine = direct && (await store.member(direct.id, userId));
    const theirs = direct && (await store.member(direct.id, peerId));
    if (!direct || !mine || !theirs)
      throw new AppError(ErrorCode.NOT_FRIENDS, 'you can message only your friends', { field: 'peerId' });
    const block = sendBlock(direct, mine, this.d.clock.now());
    if (block !== 'ok') throw blockError(block);
    const found = await store.directByKey(`e2e:${key}`);
    if (found) return found.id;
    const now = this.d.clock.now();
    const id = this.d.ids.next();
    try {
      await store.transaction(async (tx) => {
        await store.insertConversation(tx, {
          id,
          type: CONV_ENCRYPTED,
          direct_key: `e2e:${key}`,
          name: '',
          muted_all: 0,
          last_seq: 0,
          last_message_at: now,
          created_at: now,
        });
        for (const m of [mine, theirs])
          await store.insertMember(tx, blankMember(id, m.userId, ROLE_MEMBER, m.sendState, 1));
        await store.bumpPts(tx, id, [userId, peerId]);
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err; // the other person opened it at the same time
    }
    const conv = (await store.directByKey(`e2e:${key}`))!;
    if (conv.id === id) await this.announce(id, [userId, peerId]);
    return conv.id;
  }

  /** A SYSTEM message (a membership event) of `content`, from `senderId` ('0': the server). */
  private systemRow(
    convId: string,
    seq: number,
    senderId: string,
    content: pb.SystemContent,
    now: number,
  ): MessageRow {
    return {
      convId,
      seq,
      id: this.d.ids.next(),
      senderId,
      clientMsgId: `system:${this.d.ids.next()}`,
      type: pb.MessageType.SYSTEM,
      content: encodeContent(create(pb.MessageContentSchema, { body: { case: 'system', value: content } })),
      replyToSeq: 0,
      mentions: [],
      mentionAll: false,
      createdAt: now,
      recalledAt: null,
    };
  }

  private async pushEvent(convId: string, event: MessageRow) {
    await pushToUsers(
      this.d.bus,
      await this.d.store.activeMemberIds(convId),
      pushFrame({ case: 'message', value: messageView(event) }),
    );
  }

  /**
   * A user's own "file transfer" conversation (type SELF), created on first use. Its key is
   * `self:{userId}` under the unique index 1:1 keys use, so two devices asking at once get
   * one; its only member is the user, so membership alone keeps everyone else out and no
   * friendship is asked. Sends there reach the user's other devices like any message.
   */
  async ensureSelf(userId: string): Promise<string> {
    const { store } = this.d;
    const key = `self:${userId}`;
    const found = await store.directByKey(key);
    if (found) return found.id;
    const now = this.d.clock.now();
    const id = this.d.ids.next();
    try {
      await store.transaction(async (tx) => {
        await store.insertConversation(tx, {
          id,
          type: CONV_SELF,
          direct_key: key,
          name: '',
          muted_all: 0,
          last_seq: 0,
          last_message_at: now,
          created_at: now,
        });
        await store.insertMember(tx, blankMember(id, userId, ROLE_MEMBER, SEND_OK, 1));
        await store.bumpPts(tx, id, [userId]);
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err; // another device created it at the same time
    }
    const conv = (await store.directByKey(key))!;
    // The user's other devices learn of it now rather than at their next Sync.
    if (conv.id === id) await this.announce(id, [userId]);
    return conv.id;
  }

  async applyGroup(r: pb.ApplyGroupRequest): Promise<void> {
    const { store } = this.d;
    const now = this.d.clock.now();
    const convId = r.conversationId;
    const wanted = new Map(r.members.map((m) => [m.userId, m]));
    const changed = new Set<string>();
    let event: MessageRow | undefined;
    await store.transaction(async (tx) => {
      let conv = await store.conversation(convId, tx);
      if (!conv) {
        await store.insertConversation(tx, {
          id: convId,
          type: CONV_GROUP,
          direct_key: null,
          name: r.name,
          muted_all: r.mutedAll ? 1 : 0,
          last_seq: 0,
          last_message_at: now,
          created_at: now,
        });
        conv = (await store.conversation(convId, tx))!;
      } else {
        // Locks the conversation row first, so concurrent applies and sends serialise.
        await store.updateConversation(tx, convId, { name: r.name, muted_all: r.mutedAll ? 1 : 0 });
      }
      const renamed = conv.name !== r.name || conv.mutedAll !== r.mutedAll;
      if (r.event) {
        event = this.systemRow(convId, await store.nextSeq(tx, convId, now), r.actorId || '0', r.event, now);
        await store.insertMessage(tx, event);
      }
      const head = event?.seq ?? conv.lastSeq;
      // New members read from the event that announced them on (or from the next message).
      const joinFrom = event ? event.seq : head + 1;
      const existing = new Map((await store.members(convId, tx)).map((m) => [m.userId, m]));
      for (const [userId, w] of wanted) {
        const m = existing.get(userId);
        const mutedUntil = w.mutedUntilMs > now ? Math.floor(w.mutedUntilMs) : 0;
        if (!m) {
          await store.insertMember(tx, {
            ...blankMember(convId, userId, w.role, SEND_OK, joinFrom),
            muted_until: mutedUntil,
            read_seq: joinFrom - 1,
            delivered_seq: joinFrom - 1,
          });
          changed.add(userId);
        } else if (m.leftSeq !== null) {
          await store.updateMember(tx, convId, userId, {
            left_seq: null,
            role: w.role,
            muted_until: mutedUntil,
            first_seq: joinFrom,
            read_seq: joinFrom - 1,
          });
          changed.add(userId);
        } else if (m.role !== w.role || m.mutedUntil !== mutedUntil) {
          await store.updateMember(tx, convId, userId, { role: w.role, muted_until: mutedUntil });
          changed.add(userId);
        }
      }
      for (const [userId, m] of existing) {
        if (!wanted.has(userId) && m.leftSeq === null) {
          // Leavers keep the history they saw, up to and including the event about them.
          await store.updateMember(tx, convId, userId, { left_seq: head });
          changed.add(userId);
        }
      }
      if (renamed || r.event) for (const userId of wanted.keys()) changed.add(userId);
      await store.bumpPts(tx, convId, [...changed]);
    });
    await this.announce(convId, [...changed]);
    if (event) await this.pushEvent(convId, event);
  }

  /**
   * Tells each affected user's devices how the conversation looks to them now. Past a
   * handful of users (a big group renamed) the views are skipped: those clients learn it
   * at their next Sync, which the pts bump guarantees.
   */
  private async announce(convId: string, userIds: string[]) {
    if (userIds.length > 50) return;
    for (const userId of userIds) {
      const me = await this.d.store.member(convId, userId);
      if (!me) continue;
      const [view] = await conversationViews(this.d, userId, [me]);
      if (view)
        await pushToUsers(
          this.d.bus,
          [userId],
          pushFrame({ case: 'conversation', value: { conversation: view, pts: view.pts } }),
        );
    }
  }
}

function blankMember(convId: string, userId: string, role: number, sendState: number, firstSeq: number) {
  return {
    conv_id: convId,
    user_id: userId,
    role,
    send_state: sendState,
    muted_until: 0,
    first_seq: firstSeq,
    left_seq: null,
    read_seq: firstSeq - 1,
    delivered_seq: firstSeq - 1,
    muted: 0,
    pinned: 0,
    pts: 0,
  };
}
