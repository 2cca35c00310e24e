import { ErrorCode } from '../../kernel/errors.js';

/**
 * The signalling state machine of one call, pure: every transition takes the call and the
 * time and returns the next call and the events to push, or throws a {@link CallRefusal}.
 * Storage, locking, timers and pushes live in calls.service.ts.
 */

export type Media = 'voice' | 'video';
export type ParticipantStateName = 'ringing' | 'joined' | 'declined' | 'left' | 'dropped' | 'missed' | 'busy';
export type EndReason = 'completed' | 'cancelled' | 'declined' | 'no_answer' | 'busy' | 'dropped';
export type EventKind =
  'ringing' | 'accepted' | 'declined' | 'left' | 'dropped' | 'rejoined' | 'missed' | 'ended';

export interface Participant {
  userId: string;
  state: ParticipantStateName;
  /** The device in the call (joined or dropped). */
  sessionId: string;
  joinedAt: number;
  /** Last sign of life of the joined device (join, keep-alive). */
  lastSeenAt: number;
}

export interface CallState {
  id: string;
  conversationId: string;
  media: Media;
  initiatorId: string;
  group: boolean;
  status: 'ringing' | 'active' | 'ended';
  participants: Participant[];
  createdAt: number;
  answeredAt: number;
  endedAt: number;
  endReason: EndReason | '';
  ringDeadline: number;
}

export interface Timing {
  /** Unanswered ringing stops after this. */
  ringTimeoutMs: number;
  /** A joined device with no keep-alive for this long is dropped. */
  dropAfterMs: number;
  /** A dropped participant may rejoin for this long, then has left. */
  rejoinWindowMs: number;
  /** Most people joined at once (mesh). */
  maxParticipants: number;
}

export interface CallEventOut {
  kind: EventKind;
  userId: string;
  sessionId: string;
}

export interface Step {
  call: CallState;
  events: CallEventOut[];
}

/** A transition that is not allowed: the stable code and a message for the user. */
export class CallRefusal extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const LIVE: ReadonlySet<ParticipantStateName> = new Set(['joined', 'dropped']);

const clone = (c: CallState): CallState => ({ ...c, participants: c.participants.map((p) => ({ ...p })) });

/** The participant of `userId`; NOT_FOUND for anyone else (no existence leak). */
export function participantOf(call: CallState, userId: string): Participant {
  const p = call.participants.find((x) => x.userId === userId);
  if (!p) throw new CallRefusal(ErrorCode.NOT_FOUND, 'no such call');
  return p;
}

/** Whether `userId` is being rung by or is in this call (the "busy" test of other calls). */
export function occupies(call: CallState, userId: string): boolean {
  if (call.status === 'ended') return false;
  const p = call.participants.find((x) => x.userId === userId);
  return !!p && (p.state === 'ringing' || LIVE.has(p.state));
}

/** Whether `userId` is in this call on some device (joined or dropped, may come back). */
export function inCall(call: CallState, userId: string): boolean {
  if (call.status === 'ended') return false;
  const p = call.participants.find((x) => x.userId === userId);
  return !!p && LIVE.has(p.state);
}

export interface StartInput {
  id: string;
  conversationId: string;
  media: Media;
  group: boolean;
  initiatorId: string;
  sessionId: string;
  calleeIds: readonly string[];
  /** Callees already in another call. */
  busyIds: ReadonlySet<string>;
  now: number;
}

/** A new call: the initiator joined, every callee ringing (or busy). */
export function startCall(i: StartInput, t: Timing): Step {
  const participants: Participant[] = [
    { userId: i.initiatorId, state: 'joined', sessionId: i.sessionId, joinedAt: i.now, lastSeenAt: i.now },
    ...i.calleeIds.map((userId): Participant => ({
      userId,
      state: i.busyIds.has(userId) ? 'busy' : 'ringing',
      sessionId: '',
      joinedAt: 0,
      lastSeenAt: 0,
    })),
  ];
  const call: CallState = {
    id: i.id,
    conversationId: i.conversationId,
    media: i.media,
    initiatorId: i.initiatorId,
    group: i.group,
    status: 'ringing',
    participants,
    createdAt: i.now,
    answeredAt: 0,
    endedAt: 0,
    endReason: '',
    ringDeadline: i.now + t.ringTimeoutMs,
  };
  if (!participants.some((p) => p.state === 'ringing')) return end(call, 'busy', i.now, []);
  return { call, events: [{ kind: 'ringing', userId: i.initiatorId, sessionId: i.sessionId }] };
}

/**
 * What a StartCall in a conversation that already has `existing` does: join it (the caller
 * was being rung there: both called at once, or a group call already going), return it
 * (the caller is in it already), or start a new one.
 */
export function resolveStart(existing: CallState | undefined, userId: string): 'new' | 'join' | 'same' {
  if (!existing || existing.status === 'ended') return 'new';
  const p = existing.participants.find((x) => x.userId === userId);
  if (p && LIVE.has(p.state)) return 'same';
  return 'join';
}

function ended(call: CallState): void {
  if (call.status === 'ended') throw new CallRefusal(ErrorCode.CALL_ENDED, 'the call has ended');
}

/** Answers on `sessionId`: the other devices of the user stop ringing (the event says which answered). */
export function accept(prev: CallState, userId: string, sessionId: string, now: number, t: Timing): Step {
  ended(prev);
  const call = clone(prev);
  const p = participantOf(call, userId);
  if (LIVE.has(p.state)) {
    if (p.sessionId === sessionId) return { call, events: [] };
    throw new CallRefusal(ErrorCode.CALL_ANSWERED_ELSEWHERE, 'the call was answered on another device');
  }
  // 1:1: only while rung. Groups: anyone asked may drop in while the call goes on.
  if (p.state !== 'ringing' && !(call.group && call.status === 'active'))
    throw new CallRefusal(ErrorCode.CALL_ENDED, 'the call has ended');
  if (call.participants.filter((x) => LIVE.has(x.state)).length >= t.maxParticipants)
    throw new CallRefusal(ErrorCode.CALL_FULL, `a call takes at most ${t.maxParticipants} people`);
  Object.assign(p, { state: 'joined', sessionId, joinedAt: now, lastSeenAt: now });
  if (call.status === 'ringing') {
    call.status = 'active';
    call.answeredAt = now;
  }
  return { call, events: [{ kind: 'accepted', userId, sessionId }] };
}

/** Says no. When nobody else is left to answer a call nobody answered, it ends as declined. */
export function decline(prev: CallState, userId: string, now: number): Step {
  ended(prev);
  const call = clone(prev);
  const p = participantOf(call, userId);
  if (p.state !== 'ringing') {
    if (p.state === 'declined') return { call, events: [] };
    throw new CallRefusal(ErrorCode.CALL_ENDED, 'the call is no longer ringing you');
  }
  p.state = 'declined';
  const events: CallEventOut[] = [{ kind: 'declined', userId, sessionId: '' }];
  if (call.status === 'ringing' && !call.participants.some((x) => x.state === 'ringing'))
    return end(call, 'declined', now, events);
  return settle(call, now, events);
}

/**
 * Hangs up: the initiator of an unanswered call cancels it; a joined participant leaves (the
 * call ends when fewer than two are left in it and nobody is being rung); a ringing callee
 * declines.
 */
export function hangUp(prev: CallState, userId: string, sessionId: string, now: number): Step {
  if (prev.status === 'ended') return { call: prev, events: [] };
  const call = clone(prev);
  const p = participantOf(call, userId);
  if (p.state === 'ringing') return decline(prev, userId, now);
  if (!LIVE.has(p.state)) return { call, events: [] };
  if (p.sessionId !== sessionId && p.state === 'joined')
    throw new CallRefusal(ErrorCode.CALL_ANSWERED_ELSEWHERE, 'you are in this call on another device');
  if (call.status === 'ringing' && userId === call.initiatorId) {
    p.state = 'left';
    return end(call, 'cancelled', now, [{ kind: 'left', userId, sessionId }]);
  }
  p.state = 'left';
  return settle(call, now, [{ kind: 'left', userId, sessionId }]);
}

/** Back in the call on `sessionId` after a drop (or on a new device after a reload). */
export function rejoin(prev: CallState, userId: string, sessionId: string, now: number): Step {
  ended(prev);
  const call = clone(prev);
  const p = participantOf(call, userId);
  if (!LIVE.has(p.state)) throw new CallRefusal(ErrorCode.CALL_ENDED, 'you are no longer in this call');
  Object.assign(p, { state: 'joined', sessionId, lastSeenAt: now });
  return { call, events: [{ kind: 'rejoined', userId, sessionId }] };
}

/** A sign of life of the joined device; a dropped one that sends it is back. */
export function keepAlive(prev: CallState, userId: string, sessionId: string, now: number): Step {
  ended(prev);
  const call = clone(prev);
  const p = participantOf(call, userId);
  if (!LIVE.has(p.state) || p.sessionId !== sessionId)
    throw new CallRefusal(ErrorCode.CALL_ENDED, 'you are not in this call on this device');
  const wasDropped = p.state === 'dropped';
  Object.assign(p, { state: 'joined', lastSeenAt: now });
  return { call, events: wasDropped ? [{ kind: 'rejoined', userId, sessionId }] : [] };
}

/** Applies the clock: ring timeout, drops (no keep-alive) and the end of the rejoin window. */
export function tick(prev: CallState, now: number, t: Timing): Step {
  if (prev.status === 'ended') return { call: prev, events: [] };
  const call = clone(prev);
  const events: CallEventOut[] = [];
  let gone = false;
  for (const p of call.participants) {
    if (p.state === 'joined' && now - p.lastSeenAt >= t.dropAfterMs) {
      p.state = 'dropped';
      events.push({ kind: 'dropped', userId: p.userId, sessionId: p.sessionId });
    }
    if (p.state === 'dropped' && now - p.lastSeenAt >= t.dropAfterMs + t.rejoinWindowMs) {
      p.state = 'left';
      gone = true;
      events.push({ kind: 'left', userId: p.userId, sessionId: p.sessionId });
    }
  }
  if (now >= call.ringDeadline) {
    const unanswered = call.status === 'ringing';
    for (const p of call.participants)
      if (p.state === 'ringing') {
        p.state = 'missed';
        events.push({ kind: 'missed', userId: p.userId, sessionId: '' });
      }
    if (unanswered) return end(call, 'no_answer', now, events);
  }
  if (call.status === 'ringing' && !call.participants.some((p) => LIVE.has(p.state)))
    return end(call, 'cancelled', now, events);
  return settle(call, now, events, gone ? 'dropped' : 'completed');
}

/** When the clock next matters for this call (for the service's timer); Infinity when never. */
export function nextDeadline(call: CallState, t: Timing): number {
  if (call.status === 'ended') return Infinity;
  let at = call.participants.some((p) => p.state === 'ringing') ? call.ringDeadline : Infinity;
  for (const p of call.participants) {
    if (p.state === 'joined') at = Math.min(at, p.lastSeenAt + t.dropAfterMs);
    if (p.state === 'dropped') at = Math.min(at, p.lastSeenAt + t.dropAfterMs + t.rejoinWindowMs);
  }
  return at;
}

/** An answered call with fewer than two people in it and nobody rung ends. */
function settle(call: CallState, now: number, events: CallEventOut[], reason: EndReason = 'completed'): Step {
  if (call.status !== 'active') return { call, events };
  const live = call.participants.filter((p) => LIVE.has(p.state));
  const ringing = call.participants.some((p) => p.state === 'ringing');
  if (live.length >= 2 || (live.length === 1 && ringing)) return { call, events };
  return end(call, reason, now, events);
}

function end(call: CallState, reason: EndReason, now: number, events: CallEventOut[]): Step {
  for (const p of call.participants) {
    if (p.state === 'ringing') p.state = 'missed';
    if (LIVE.has(p.state)) p.state = 'left';
  }
  call.status = 'ended';
  call.endReason = reason;
  call.endedAt = now;
  call.ringDeadline = 0;
  return { call, events: [...events, { kind: 'ended', userId: '', sessionId: '' }] };
}

/** Milliseconds from the answer to the end (0 when never answered). */
export const durationOf = (call: CallState): number =>
  call.answeredAt && call.endedAt ? Math.max(0, call.endedAt - call.answeredAt) : 0;
