import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../kernel/errors.js';
import {
  accept,
  CallRefusal,
  decline,
  durationOf,
  hangUp,
  keepAlive,
  nextDeadline,
  occupies,
  rejoin,
  resolveStart,
  startCall,
  tick,
  type CallState,
  type Timing,
} from './calls.machine.js';

const T: Timing = { ringTimeoutMs: 45_000, dropAfterMs: 15_000, rejoinWindowMs: 30_000, maxParticipants: 4 };
const NOW = 1_800_000_000_000;

const oneToOne = (busy: string[] = []) =>
  startCall(
    {
      id: 'c1',
      conversationId: 'conv',
      media: 'video',
      group: false,
      initiatorId: 'a',
      sessionId: 'a1',
      calleeIds: ['b'],
      busyIds: new Set(busy),
      now: NOW,
    },
    T,
  );

const group = (callees = ['b', 'c', 'd', 'e']) =>
  startCall(
    {
      id: 'g1',
      conversationId: 'grp',
      media: 'voice',
      group: true,
      initiatorId: 'a',
      sessionId: 'a1',
      calleeIds: callees,
      busyIds: new Set(),
      now: NOW,
    },
    T,
  ).call;

const state = (c: CallState, u: string) => c.participants.find((p) => p.userId === u)?.state;

function refused(fn: () => unknown): ErrorCode {
  try {
    fn();
  } catch (err) {
    if (err instanceof CallRefusal) return err.code;
    throw err;
  }
  throw new Error('not refused');
}

describe('calls state machine', () => {
  it('rings the callee and joins the caller', () => {
    const { call, events } = oneToOne();
    expect(call.status).toBe('ringing');
    expect(state(call, 'a')).toBe('joined');
    expect(state(call, 'b')).toBe('ringing');
    expect(call.ringDeadline).toBe(NOW + 45_000);
    expect(events).toEqual([{ kind: 'ringing', userId: 'a', sessionId: 'a1' }]);
  });

  it('ends at once as busy when every callee is in another call', () => {
    const { call } = oneToOne(['b']);
    expect(call.status).toBe('ended');
    expect(call.endReason).toBe('busy');
    expect(state(call, 'b')).toBe('busy');
  });

  it('accepting on one device answers the call; the same device again is a no-op, another device is refused', () => {
    const { call, events } = accept(oneToOne().call, 'b', 'b-phone', NOW + 3000, T);
    expect(call.status).toBe('active');
    expect(call.answeredAt).toBe(NOW + 3000);
    expect(events).toEqual([{ kind: 'accepted', userId: 'b', sessionId: 'b-phone' }]);
    expect(accept(call, 'b', 'b-phone', NOW + 3100, T).events).toEqual([]);
    expect(refused(() => accept(call, 'b', 'b-laptop', NOW + 3100, T))).toBe(
      ErrorCode.CALL_ANSWERED_ELSEWHERE,
    );
  });

  it('refuses strangers with NOT_FOUND', () => {
    const { call } = oneToOne();
    expect(refused(() => accept(call, 'mallory', 'm1', NOW, T))).toBe(ErrorCode.NOT_FOUND);
    expect(refused(() => decline(call, 'mallory', NOW))).toBe(ErrorCode.NOT_FOUND);
    expect(refused(() => hangUp(call, 'mallory', 'm1', NOW))).toBe(ErrorCode.NOT_FOUND);
  });

  it('decline ends a 1:1 call as declined', () => {
    const { call, events } = decline(oneToOne().call, 'b', NOW + 2000);
    expect(call.status).toBe('ended');
    expect(call.endReason).toBe('declined');
    expect(events.map((e) => e.kind)).toEqual(['declined', 'ended']);
    expect(refused(() => accept(call, 'b', 'b1', NOW + 2100, T))).toBe(ErrorCode.CALL_ENDED);
  });

  it('no answer within the ring timeout ends the call and marks the callee missed', () => {
    const c = oneToOne().call;
    expect(tick(c, NOW + 44_999, { ...T, dropAfterMs: 60_000 }).call.status).toBe('ringing');
    const { call, events } = tick(c, NOW + 45_000, { ...T, dropAfterMs: 60_000 });
    expect(call.endReason).toBe('no_answer');
    expect(state(call, 'b')).toBe('missed');
    expect(events.map((e) => e.kind)).toEqual(['missed', 'ended']);
  });

  it('the caller hanging up while ringing cancels', () => {
    const { call } = hangUp(oneToOne().call, 'a', 'a1', NOW + 1000);
    expect(call.endReason).toBe('cancelled');
    expect(state(call, 'b')).toBe('missed');
    expect(durationOf(call)).toBe(0);
  });

  it('hang up after the answer ends the call with its duration', () => {
    const active = accept(oneToOne().call, 'b', 'b1', NOW + 5000, T).call;
    const { call } = hangUp(active, 'b', 'b1', NOW + 65_000);
    expect(call.endReason).toBe('completed');
    expect(durationOf(call)).toBe(60_000);
    // Hanging up an ended call again changes nothing.
    expect(hangUp(call, 'a', 'a1', NOW + 70_000).call).toBe(call);
  });

  it('a device that is not the one in the call cannot hang it up', () => {
    const active = accept(oneToOne().call, 'b', 'b1', NOW + 5000, T).call;
    expect(refused(() => hangUp(active, 'b', 'b2', NOW + 6000))).toBe(ErrorCode.CALL_ANSWERED_ELSEWHERE);
  });

  it('a drop (no keep-alive) can be rejoined within the window, on another device too', () => {
    const active = accept(oneToOne().call, 'b', 'b1', NOW, T).call;
    const kept = keepAlive(active, 'a', 'a1', NOW + 14_000).call;
    const dropped = tick(kept, NOW + 15_000, T);
    expect(state(dropped.call, 'b')).toBe('dropped');
    expect(state(dropped.call, 'a')).toBe('joined');
    expect(dropped.events).toEqual([{ kind: 'dropped', userId: 'b', sessionId: 'b1' }]);
    expect(dropped.call.status).toBe('active');
    const back = rejoin(keepAlive(dropped.call, 'a', 'a1', NOW + 28_000).call, 'b', 'b2', NOW + 40_000);
    expect(state(back.call, 'b')).toBe('joined');
    expect(back.call.participants.find((p) => p.userId === 'b')!.sessionId).toBe('b2');
    expect(back.events[0]!.kind).toBe('rejoined');
  });

  it('a drop not rejoined within the window ends the call as dropped', () => {
    const active = accept(oneToOne().call, 'b', 'b1', NOW, T).call;
    let c = tick(keepAlive(active, 'a', 'a1', NOW + 14_000).call, NOW + 15_000, T).call;
    for (let t = NOW + 20_000; t <= NOW + 45_000; t += 5000) c = keepAlive(c, 'a', 'a1', t).call;
    const { call } = tick(c, NOW + 45_000, T);
    expect(call.status).toBe('ended');
    expect(call.endReason).toBe('dropped');
    expect(refused(() => rejoin(call, 'b', 'b1', NOW + 46_000))).toBe(ErrorCode.CALL_ENDED);
  });

  it('only participants in the call may rejoin', () => {
    const declined = decline(group(), 'b', NOW);
    expect(refused(() => rejoin(declined.call, 'b', 'b1', NOW + 1))).toBe(ErrorCode.CALL_ENDED);
  });

  it('glare: a call from the person ringing you joins that call', () => {
    const { call } = oneToOne();
    expect(resolveStart(call, 'b')).toBe('join');
    expect(resolveStart(call, 'a')).toBe('same');
    expect(resolveStart(undefined, 'b')).toBe('new');
    expect(resolveStart(decline(call, 'b', NOW).call, 'b')).toBe('new');
  });

  it('occupies says who is busy: ringing or in the call, never after the end', () => {
    const { call } = oneToOne();
    expect(occupies(call, 'a') && occupies(call, 'b')).toBe(true);
    expect(occupies(call, 'c')).toBe(false);
    expect(occupies(hangUp(call, 'a', 'a1', NOW).call, 'b')).toBe(false);
  });

  it('group: at most four people; a fifth is refused, one who missed may drop in', () => {
    let c = group();
    c = accept(c, 'b', 'b1', NOW + 1, T).call;
    c = accept(c, 'c', 'c1', NOW + 2, T).call;
    c = accept(c, 'd', 'd1', NOW + 3, T).call;
    expect(refused(() => accept(c, 'e', 'e1', NOW + 4, T))).toBe(ErrorCode.CALL_FULL);
    c = hangUp(c, 'd', 'd1', NOW + 5).call;
    expect(c.status).toBe('active');
    expect(accept(c, 'e', 'e1', NOW + 6, T).call.participants.find((p) => p.userId === 'e')!.state).toBe(
      'joined',
    );
  });

  it('group: the call goes on while two are in it, and ends when the last but one leaves', () => {
    let c = group(['b', 'c']);
    c = accept(c, 'b', 'b1', NOW + 1, T).call;
    c = decline(c, 'c', NOW + 2).call;
    expect(c.status).toBe('active');
    c = hangUp(c, 'a', 'a1', NOW + 10_001).call;
    expect(c.status).toBe('ended');
    expect(c.endReason).toBe('completed');
    expect(durationOf(c)).toBe(10_000);
  });

  it('group: the caller alone with people still ringing stays; the ring timeout then ends it', () => {
    let c = group(['b', 'c']);
    c = accept(c, 'b', 'b1', NOW + 1, T).call;
    c = hangUp(c, 'b', 'b1', NOW + 2).call;
    expect(c.status).toBe('active');
    c = keepAlive(c, 'a', 'a1', NOW + 10_000).call;
    c = keepAlive(c, 'a', 'a1', NOW + 20_000).call;
    c = keepAlive(c, 'a', 'a1', NOW + 30_000).call;
    c = keepAlive(c, 'a', 'a1', NOW + 40_000).call;
    const { call } = tick(c, NOW + 45_000, T);
    expect(call.status).toBe('ended');
    expect(state(call, 'c')).toBe('missed');
  });

  it('nextDeadline is the earliest of ring timeout and keep-alive deadlines', () => {
    const { call } = oneToOne();
    expect(nextDeadline(call, T)).toBe(NOW + 15_000);
    expect(nextDeadline(call, { ...T, dropAfterMs: 60_000 })).toBe(NOW + 45_000);
    expect(nextDeadline(hangUp(call, 'a', 'a1', NOW).call, T)).toBe(Infinity);
  });

  it('keep-alive from a device that is not in the call is refused', () => {
    const { call } = oneToOne();
    expect(refused(() => keepAlive(call, 'a', 'a2', NOW))).toBe(ErrorCode.CALL_ENDED);
    expect(refused(() => keepAlive(call, 'b', 'b1', NOW))).toBe(ErrorCode.CALL_ENDED);
  });
});
