import type { Kv } from '../../adapters/kv/kv.js';
import type { Clock } from '../../kernel/clock.js';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Logger } from '../../kernel/logger.js';
import type { CallsConfig } from './calls.config.js';
import type { CallHistoryRepository } from './calls.history.repository.js';
import {
  accept,
  CallRefusal,
  decline,
  durationOf,
  hangUp,
  keepAlive,
  nextDeadline,
  occupies,
  participantOf,
  rejoin,
  resolveStart,
  startCall,
  tick,
  type CallState,
  type Media,
  type Step,
  type Timing,
} from './calls.machine.js';
import type { CallMessages, CallPush } from './calls.peers.js';
import type { CallStore } from './calls.store.js';
import { END_REASON, MEDIA } from './calls.views.js';

/** The authenticated caller of an action: the user and the device (session). */
export interface Actor {
  userId: string;
  sessionId: string;
  requestId: string;
}

export type Action = 'accept' | 'decline' | 'hang_up' | 'rejoin' | 'keep_alive';

export interface CallsServiceDeps {
  store: CallStore;
  history: CallHistoryRepository;
  messages: CallMessages;
  push: CallPush;
  kv: Kv;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
  config: CallsConfig;
}

/** Direct and group conversation types (mychat.message.v1.ConversationType). */
const DIRECT = 1;
const GROUP = 2;

/**
 * The calls service: authorises each action (friends in a 1:1, active members of a group,
 * and for every later action a participant of that call on the device in it), runs the state
 * machine under a lock held in the key-value store, pushes the events to every device of every
 * participant, keeps the clock's deadlines (ring timeout, drops) with timers, and when a call
 * ends writes its record into the chat and each participant's history.
 */
export class CallsService {
  readonly timing: Timing;
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly d: CallsServiceDeps) {
    this.timing = {
      ringTimeoutMs: d.config.ringTimeoutSeconds * 1000,
      dropAfterMs: d.config.dropAfterSeconds * 1000,
      rejoinWindowMs: d.config.rejoinWindowSeconds * 1000,
      maxParticipants: d.config.maxParticipants,
    };
  }

  async start(
    actor: Actor,
    convId: string,
    media: Media,
  ): Promise<{ call: CallState; joinedExisting: boolean }> {
    const ctx = await this.d.messages.context(convId, actor.userId);
    refuseContext(ctx.state);
    if (ctx.type !== DIRECT && ctx.type !== GROUP)
      throw errors.invalidArgument('calls are made in a 1:1 chat or a group', 'conversationId');
    const group = ctx.type === GROUP;
    if (!ctx.memberIds.length) throw errors.invalidArgument('there is nobody to call here', 'conversationId');
    if (group && ctx.memberIds.length + 1 > this.d.config.maxGroupMembers)
      throw new AppError(
        ErrorCode.CALL_FULL,
        `group calls are for groups of at most ${this.d.config.maxGroupMembers} members`,
      );
    return this.d.store.locked(`conv:${convId}`, async () => {
      const existingId = await this.d.store.conversationCall(convId);
      const existing = existingId
        ? await this.apply(existingId, (c) => ({ call: c, events: [] }))
        : undefined;
      const how = resolveStart(existing, actor.userId);
      if (existing && how === 'same') return { call: existing, joinedExisting: false };
      if (existing && how === 'join') {
        const now = this.d.clock.now();
        const call = await this.apply(existing.id, (c) =>
          accept(c, actor.userId, actor.sessionId, now, this.timing),
        );
        return { call, joinedExisting: true };
      }
      await this.admitRing(actor.userId, convId);
      if (await this.occupied(actor.userId))
        throw new AppError(ErrorCode.CALL_ALREADY_IN_CALL, 'you are already in a call');
      const busy = new Set<string>();
      for (const u of ctx.memberIds) if (await this.occupied(u)) busy.add(u);
      if (!group && busy.size === ctx.memberIds.length)
        throw new AppError(ErrorCode.CALL_BUSY, 'the person you are calling is in another call');
      const step = startCall(
        {
          id: this.d.ids.next(),
          conversationId: convId,
          media,
          group,
          initiatorId: actor.userId,
          sessionId: actor.sessionId,
          calleeIds: ctx.memberIds,
          busyIds: busy,
          now: this.d.clock.now(),
        },
        this.timing,
      );
      await this.commit(undefined, step);
      return { call: step.call, joinedExisting: false };
    });
  }

  async update(actor: Actor, callId: string, action: Action): Promise<CallState> {
    const now = this.d.clock.now();
    const { userId: u, sessionId: s } = actor;
    return this.apply(callId, (c) => {
      participantOf(c, u);
      switch (action) {
        case 'accept':
          return accept(c, u, s, now, this.timing);
        case 'decline':
          return decline(c, u, now);
        case 'hang_up':
          return hangUp(c, u, s, now);
        case 'rejoin':
          return rejoin(c, u, s, now);
        case 'keep_alive':
          return keepAlive(c, u, s, now);
      }
    });
  }

  /** One call the actor takes part in, with the clock applied. */
  async get(actor: Actor, callId: string): Promise<CallState> {
    const call = await this.apply(callId, (c) => ({ call: c, events: [] }));
    refusalToError(() => participantOf(call, actor.userId));
    return call;
  }

  /** The call the user is in or rung for, if any. */
  async active(actor: Actor): Promise<CallState | undefined> {
    const id = await this.d.store.userCall(actor.userId);
    if (!id) return undefined;
    const call = await this.apply(id, (c) => ({ call: c, events: [] })).catch(() => undefined);
    return call && occupies(call, actor.userId) ? call : undefined;
  }

  /** Relays a signal from the actor's device in the call to a device of another participant in it. */
  async signal(
    actor: Actor,
    callId: string,
    toUserId: string,
    toSessionId: string,
    kind: number,
    data: string,
  ) {
    const call = await this.d.store.get(callId);
    if (!call) throw errors.notFound('no such call');
    const me = refusalToError(() => participantOf(call, actor.userId));
    if (call.status === 'ended') throw new AppError(ErrorCode.CALL_ENDED, 'the call has ended');
    if (me.state !== 'joined' || me.sessionId !== actor.sessionId)
      throw new AppError(ErrorCode.CALL_ENDED, 'you are not in this call on this device');
    const to = call.participants.find((p) => p.userId === toUserId);
    if (
      !to ||
      toUserId === actor.userId ||
      (to.state !== 'joined' && to.state !== 'dropped') ||
      to.sessionId !== toSessionId
    )
      throw errors.notFound('that device is not in the call');
    const win = Math.floor(this.d.clock.now() / 10_000);
    const n = await this.d.kv.incr(`call:sig:${callId}:${actor.sessionId}:${win}`, { ttlMs: 11_000 });
    if (n > this.d.config.signalsPer10Seconds) throw errors.rateLimited(10, 'too many call signals');
    await this.d.push.signal(toUserId, {
      callId,
      fromUserId: actor.userId,
      fromSessionId: actor.sessionId,
      toSessionId,
      kind,
      data,
    });
  }

  /** Applies the clock to every call this process keeps a timer for (tests with a manual clock). */
  async sweepAll(): Promise<void> {
    await Promise.all([...this.timers.keys()].map((id) => this.sweep(id)));
  }

  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private sweep(id: string): Promise<unknown> {
    return this.apply(id, (c) => ({ call: c, events: [] })).catch((err: unknown) => {
      if (!(err instanceof AppError && err.code === ErrorCode.NOT_FOUND))
        this.d.logger.warn({ err, call_id: id }, 'call sweep failed');
    });
  }

  /** Loads a call under its lock, applies the clock and then `fn`, and commits the result. */
  private apply(id: string, fn: (c: CallState) => Step): Promise<CallState> {
    return this.d.store.locked(`call:${id}`, async () => {
      const prev = await this.d.store.get(id);
      if (!prev) throw errors.notFound('no such call');
      const ticked = tick(prev, this.d.clock.now(), this.timing);
      const step = refusalToError(() => fn(ticked.call));
      const all = { call: step.call, events: [...ticked.events, ...step.events] };
      if (all.events.length || JSON.stringify(all.call) !== JSON.stringify(prev))
        await this.commit(prev, all);
      return all.call;
    });
  }

  private async commit(prev: CallState | undefined, step: Step): Promise<void> {
    const { call, events } = step;
    const occupying = call.participants.filter((p) => occupies(call, p.userId)).map((p) => p.userId);
    await this.d.store.save(call, occupying);
    // The record first: a client told the call ended finds it in the chat.
    if (call.status === 'ended' && prev?.status !== 'ended') await this.finish(call);
    const users = call.participants.map((p) => p.userId);
    for (const e of events) await this.d.push.event(users, call, e);
    this.schedule(call);
  }

  /** The record in the chat and each participant's history line. */
  private async finish(call: CallState): Promise<void> {
    const durationMs = durationOf(call);
    const joined = call.participants.filter((p) => p.joinedAt > 0).map((p) => p.userId);
    try {
      await this.d.messages.record(call.conversationId, call.initiatorId, {
        callId: call.id,
        media: call.media,
        outcome: call.endReason || 'completed',
        durationMs: BigInt(durationMs),
        joinedUserIds: call.group ? joined : [],
      });
    } catch (err) {
      this.d.logger.warn({ err, call_id: call.id }, 'call record not written');
    }
    try {
      await this.d.history.record(
        call.participants.map((p) => ({
          userId: p.userId,
          callId: call.id,
          conversationId: call.conversationId,
          media: MEDIA[call.media],
          initiatorId: call.initiatorId,
          endReason: END_REASON[call.endReason || 'completed'],
          answered: p.joinedAt > 0 && call.answeredAt > 0,
          group: call.group,
          startedAt: call.createdAt,
          durationMs: p.joinedAt > 0 ? durationMs : 0,
        })),
      );
    } catch (err) {
      this.d.logger.warn({ err, call_id: call.id }, 'call history not written');
    }
  }

  private schedule(call: CallState): void {
    clearTimeout(this.timers.get(call.id));
    this.timers.delete(call.id);
    const at = nextDeadline(call, this.timing);
    if (!Number.isFinite(at)) return;
    const t = setTimeout(
      () => {
        this.timers.delete(call.id);
        void this.sweep(call.id);
      },
      Math.max(0, at - this.d.clock.now()) + 20,
    );
    t.unref();
    this.timers.set(call.id, t);
  }

  /** Whether the user is rung by or in a live call (the clock applied first). */
  private async occupied(userId: string): Promise<boolean> {
    const id = await this.d.store.userCall(userId);
    if (!id) return false;
    const c = await this.apply(id, (x) => ({ call: x, events: [] })).catch(() => undefined);
    return !!c && occupies(c, userId);
  }

  /** Ringing limits: calls per user per minute, and per user and conversation per minute. */
  private async admitRing(userId: string, convId: string): Promise<void> {
    const min = Math.floor(this.d.clock.now() / 60_000);
    const [all, here] = await Promise.all([
      this.d.kv.incr(`call:rate:${userId}:${min}`, { ttlMs: 61_000 }),
      this.d.kv.incr(`call:rate:${userId}:${convId}:${min}`, { ttlMs: 61_000 }),
    ]);
    if (all > this.d.config.ringsPerMinute || here > this.d.config.ringsPerConversationPerMinute)
      throw errors.rateLimited(
        60 - Math.floor((this.d.clock.now() % 60_000) / 1000),
        'you are calling too often',
      );
  }
}

function refuseContext(state: string): void {
  switch (state) {
    case 'ok':
      return;
    case 'not_friends':
      throw new AppError(ErrorCode.NOT_FRIENDS, 'you can call only your friends');
    case 'blocked':
      throw new AppError(ErrorCode.BLOCKED, 'you cannot call this person');
    case 'muted':
      throw new AppError(ErrorCode.MUTED, 'you are muted in this group');
    case 'left':
      throw new AppError(ErrorCode.NOT_A_MEMBER, 'you are no longer a member of this group');
    default:
      throw errors.notFound('no such conversation');
  }
}

function refusalToError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CallRefusal) throw new AppError(err.code, err.message);
    throw err;
  }
}
