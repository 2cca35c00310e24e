import { calls, message } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
import { befriend, sendText, setupAvailable } from '../../../test/helpers/contacts-helpers.js';
import {
  CALL_SETUPS,
  closeAll,
  deviceOf,
  nextEvent,
  nextSignal,
  request,
  secondDevice,
  startCallsEnv,
  users,
  type CallsEnv,
} from './calls.test-helpers.js';

const { CallMedia: M, CallAction: A, CallStatus: S, SignalKind: K, CallEndReason: R } = calls;

/**
 * Calls through the socket and the RPCs on each engine: ringing on every device, the answer
 * on one stopping the others, signals relayed to the device in the call, hang up, and the
 * record in the chat and the history; then who may not call, busy, glare, timeouts, limits.
 */
for (const setup of CALL_SETUPS) {
  describe.skipIf(!(await setupAvailable(setup)))(`calls on ${setup.name}`, () => {
    let env: CallsEnv;
    beforeAll(async () => {
      env = await startCallsEnv(setup, {
        calls: { ringsPerConversationPerMinute: 3, signalsPer10Seconds: 10 },
      });
    });
    afterAll(() => env?.stop());

    it('rings every device, the answer on one stops the others, signals reach the answering device, hang up ends it with a record', async () => {
      const [a, b] = await users(env, 'Ann', 'Bob');
      const conv = await befriend(env.api, a!, b!);
      const a1 = await deviceOf(env, a!);
      const b1 = await deviceOf(env, b!);
      const b2 = await secondDevice(env, b!);
      const started = await request(a1, {
        case: 'startCall',
        value: { conversationId: conv, media: M.VIDEO },
      });
      if (started.body.case !== 'callEvent') throw new Error(JSON.stringify(started.body));
      const call = started.body.value.call!;
      expect(call.status).toBe(S.RINGING);
      expect(call.participants.map((p) => p.userId)).toEqual([a!.id, b!.id]);
      // Every device of the callee rings.
      expect((await nextEvent(b1, 'ringing')).call!.id).toBe(call.id);
      expect((await nextEvent(b2, 'ringing')).call!.id).toBe(call.id);
      // The phone answers; the laptop learns which device did and stops ringing.
      await request(b2, { case: 'updateCall', value: { callId: call.id, action: A.ACCEPT } });
      const seenByB1 = await nextEvent(b1, 'accepted');
      expect(seenByB1.sessionId).toBe(b2.sessionId);
      expect(seenByB1.call!.status).toBe(S.ACTIVE);
      expect((await nextEvent(a1, 'accepted')).userId).toBe(b!.id);
      const late = await request(b1, { case: 'updateCall', value: { callId: call.id, action: A.ACCEPT } });
      expect(late.body.case === 'error' && late.body.value.reason).toBe('CALL_ANSWERED_ELSEWHERE');
      // The answering device offers to the caller's device; the answer comes back.
      const offer = await request(b2, {
        case: 'callSignal',
        value: {
          callId: call.id,
          toUserId: a!.id,
          toSessionId: a1.sessionId,
          kind: K.OFFER,
          data: 'v=0 offer',
        },
      });
      expect(offer.body.case).toBe('ok');
      const got = await nextSignal(a1);
      expect(got).toMatchObject({
        fromUserId: b!.id,
        fromSessionId: b2.sessionId,
        kind: K.OFFER,
        data: 'v=0 offer',
      });
      // The laptop, not in the call, may not signal.
      await expectReason(
        env.calls.sendSignal(
          { callId: call.id, toUserId: a!.id, toSessionId: a1.sessionId, kind: K.ANSWER, data: 'x' },
          b1.h,
        ),
        'CALL_ENDED',
      );
      // A minute of call: both devices send their keep-alives.
      for (const step of [10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 1_000]) {
        env.clock.advance(step);
        for (const d of [a1, b2])
          expect(
            (await request(d, { case: 'updateCall', value: { callId: call.id, action: A.KEEP_ALIVE } })).body
              .case,
          ).toBe('callEvent');
      }
      await request(b2, { case: 'updateCall', value: { callId: call.id, action: A.HANG_UP } });
      const endedA = await nextEvent(a1, 'ended');
      expect(endedA.call!.endReason).toBe(R.COMPLETED);
      await nextEvent(b1, 'ended');
      // The record: a CALL message from the caller, with the duration, synced like any message.
      const h = await env.messages.getHistory({ conversationId: conv, limit: 10 }, b!.h);
      const rec = h.messages.at(-1)!;
      expect(rec.type).toBe(message.MessageType.CALL);
      expect(rec.senderId).toBe(a!.id);
      expect(rec.content?.body.case === 'call' && rec.content.body.value).toMatchObject({
        callId: call.id,
        media: 'video',
        outcome: 'completed',
        durationMs: 61_000n,
      });
      const histA = await env.calls.listCallHistory({}, a!.h);
      expect(histA.entries[0]).toMatchObject({
        callId: call.id,
        answered: true,
        durationMs: 61_000n,
        media: M.VIDEO,
      });
      // Nobody else sees it.
      const [c] = await users(env, 'Cid');
      await expectReason(env.calls.getCall({ callId: call.id }, c!.h), 'NOT_FOUND');
      closeAll(a1, b1, b2);
    });

    it('only friends may call; strangers get NOT_FOUND; a client cannot send a call record', async () => {
      const [a, b, m] = await users(env, 'Ann', 'Bob', 'Mallory');
      const conv = await befriend(env.api, a!, b!);
      await expectReason(env.calls.startCall({ conversationId: conv, media: M.VOICE }, m!.h), 'NOT_FOUND');
      await expectReason(env.calls.startCall({ conversationId: conv, media: 0 }, a!.h), 'INVALID_ARGUMENT');
      await expectReason(
        env.calls.startCall({ conversationId: 'x', media: M.VOICE }, a!.h),
        'INVALID_ARGUMENT',
      );
      await expectReason(
        env.messages.sendMessage(
          {
            conversationId: conv,
            clientMsgId: 'forged-call',
            content: { body: { case: 'call', value: { callId: '1', media: 'voice', outcome: 'completed' } } },
          },
          a!.h,
        ),
        'UNSUPPORTED_MESSAGE_TYPE',
      );
      const started = await env.calls.startCall({ conversationId: conv, media: M.VOICE }, a!.h);
      // Mallory cannot act on it, nor signal into it.
      await expectReason(
        env.calls.updateCall({ callId: started.call!.id, action: A.ACCEPT }, m!.h),
        'NOT_FOUND',
      );
      await expectReason(
        env.calls.sendSignal(
          { callId: started.call!.id, toUserId: a!.id, toSessionId: a!.sessionId, kind: K.OFFER, data: 'x' },
          m!.h,
        ),
        'NOT_FOUND',
      );
      await expectReason(
        env.calls.sendSignal(
          {
            callId: started.call!.id,
            toUserId: a!.id,
            toSessionId: 's',
            kind: K.OFFER,
            data: 'x'.repeat(16 * 1024 + 1),
          },
          b!.h,
        ),
        'INVALID_ARGUMENT',
      );
      await env.calls.updateCall({ callId: started.call!.id, action: A.HANG_UP }, a!.h);
      await env.api.deleteFriend({ userId: b!.id }, a!.h);
      await expectReason(env.calls.startCall({ conversationId: conv, media: M.VOICE }, b!.h), 'NOT_FRIENDS');
    });

    it('busy: a callee in another call; glare: calling back joins the call that rings you', async () => {
      const [a, b, c] = await users(env, 'Ann', 'Bob', 'Cid');
      const ab = await befriend(env.api, a!, b!);
      const cb = await befriend(env.api, c!, b!);
      const first = await env.calls.startCall({ conversationId: ab, media: M.VOICE }, a!.h);
      // Both call at once: Bob's call to Ann joins Ann's.
      const back = await env.calls.startCall({ conversationId: ab, media: M.VIDEO }, b!.h);
      expect(back.joinedExisting).toBe(true);
      expect(back.call!.id).toBe(first.call!.id);
      expect(back.call!.status).toBe(S.ACTIVE);
      await expectReason(env.calls.startCall({ conversationId: cb, media: M.VOICE }, c!.h), 'CALL_BUSY');
      await expectReason(
        env.calls.startCall({ conversationId: cb, media: M.VOICE }, b!.h),
        'CALL_ALREADY_IN_CALL',
      );
      expect((await env.calls.getActiveCall({}, b!.h)).call?.id).toBe(first.call!.id);
      await env.calls.updateCall({ callId: first.call!.id, action: A.HANG_UP }, a!.h);
      expect((await env.calls.getActiveCall({}, b!.h)).call).toBeUndefined();
      expect((await env.calls.startCall({ conversationId: cb, media: M.VOICE }, c!.h)).call!.status).toBe(
        S.RINGING,
      );
    });

    it('no answer within the ring timeout ends the call as missed for the callee', async () => {
      const [a, b] = await users(env, 'Ann', 'Bob');
      const conv = await befriend(env.api, a!, b!);
      const { call } = await env.calls.startCall({ conversationId: conv, media: M.VOICE }, a!.h);
      env.clock.advance(45_000);
      await env.service.sweepAll();
      const ended = (await env.calls.getCall({ callId: call!.id }, b!.h)).call!;
      expect(ended.status).toBe(S.ENDED);
      expect(ended.endReason).toBe(R.NO_ANSWER);
      const hist = await env.calls.listCallHistory({}, b!.h);
      expect(hist.entries[0]).toMatchObject({ callId: call!.id, answered: false, endReason: R.NO_ANSWER });
      const last = (await env.messages.getHistory({ conversationId: conv, limit: 5 }, b!.h)).messages.at(-1)!;
      expect(last.content?.body.case === 'call' && last.content.body.value.outcome).toBe('no_answer');
    });

    it('a dropped participant rejoins within the window on a new device; a decline ends a ringing call', async () => {
      const [a, b] = await users(env, 'Ann', 'Bob');
      const conv = await befriend(env.api, a!, b!);
      const { call } = await env.calls.startCall({ conversationId: conv, media: M.VOICE }, a!.h);
      await env.calls.updateCall({ callId: call!.id, action: A.ACCEPT }, b!.h);
      env.clock.advance(14_000);
      await env.calls.updateCall({ callId: call!.id, action: A.KEEP_ALIVE }, a!.h);
      env.clock.advance(2_000);
      const mid = (await env.calls.getCall({ callId: call!.id }, a!.h)).call!;
      expect(mid.participants.find((p) => p.userId === b!.id)!.state).toBe(calls.ParticipantState.DROPPED);
      const b2 = await secondDevice(env, b!, 'tablet');
      const back = await env.calls.updateCall({ callId: call!.id, action: A.REJOIN }, b2.h);
      expect(back.call!.participants.find((p) => p.userId === b!.id)).toMatchObject({
        state: calls.ParticipantState.JOINED,
        sessionId: b2.sessionId,
      });
      await env.calls.updateCall({ callId: call!.id, action: A.HANG_UP }, a!.h);
      closeAll(b2);
      const again = await env.calls.startCall({ conversationId: conv, media: M.VOICE }, b!.h);
      const declined = await env.calls.updateCall({ callId: again.call!.id, action: A.DECLINE }, a!.h);
      expect(declined.call!.endReason).toBe(R.DECLINED);
    });

    it('group calls ring every member and connect up to the cap', async () => {
      const [a, b, c] = await users(env, 'Ann', 'Bob', 'Cid');
      await befriend(env.api, a!, b!);
      await befriend(env.api, a!, c!);
      const g = await env.api.createGroup({ name: 'Trio', memberIds: [b!.id, c!.id] }, a!.h);
      const b1 = await deviceOf(env, b!);
      const { call } = await env.calls.startCall({ conversationId: g.group!.id, media: M.VIDEO }, a!.h);
      expect(call!.group).toBe(true);
      expect((await nextEvent(b1, 'ringing')).call!.participants).toHaveLength(3);
      await env.calls.updateCall({ callId: call!.id, action: A.ACCEPT }, b!.h);
      const three = await env.calls.updateCall({ callId: call!.id, action: A.ACCEPT }, c!.h);
      expect(three.call!.participants.every((p) => p.state === calls.ParticipantState.JOINED)).toBe(true);
      await env.calls.updateCall({ callId: call!.id, action: A.HANG_UP }, a!.h);
      expect((await env.calls.getCall({ callId: call!.id }, b!.h)).call!.status).toBe(S.ACTIVE);
      closeAll(b1);
    });

    it('limits ringing per conversation per minute', async () => {
      const [a, b] = await users(env, 'Ann', 'Bob');
      const conv = await befriend(env.api, a!, b!);
      for (let i = 0; i < 3; i++) {
        const { call } = await env.calls.startCall({ conversationId: conv, media: M.VOICE }, a!.h);
        await env.calls.updateCall({ callId: call!.id, action: A.HANG_UP }, a!.h);
      }
      await expectReason(env.calls.startCall({ conversationId: conv, media: M.VOICE }, a!.h), 'RATE_LIMITED');
      await sendText(env, a!, conv, 'sorry, later');
    });

    it('limits the size of a signal and how many one device sends in a call', async () => {
      const [a, b] = await users(env, 'Ann', 'Bob');
      const conv = await befriend(env.api, a!, b!);
      const { call } = await env.calls.startCall({ conversationId: conv, media: M.VIDEO }, a!.h);
      const joined = await env.calls.updateCall({ callId: call!.id, action: A.ACCEPT }, b!.h);
      const to = {
        callId: call!.id,
        toUserId: a!.id,
        toSessionId: joined.call!.participants.find((p) => p.userId === a!.id)!.sessionId,
        kind: K.ICE,
      };
      // 16 KiB at most, counted in UTF-8 bytes (not characters).
      await expectReason(
        env.calls.sendSignal({ ...to, data: 'x'.repeat(16 * 1024 + 1) }, b!.h),
        'INVALID_ARGUMENT',
      );
      await expectReason(env.calls.sendSignal({ ...to, data: '语'.repeat(6000) }, b!.h), 'INVALID_ARGUMENT');
      // signalsPer10Seconds is 10 here: within one 10 s window the 11th is refused (a run that
      // straddles two windows may pass up to 20).
      let sent = 0;
      let refused: unknown;
      while (!refused && sent < 25)
        await env.calls.sendSignal({ ...to, data: `{"candidate":"${sent}"}` }, b!.h).then(
          () => sent++,
          (e: unknown) => (refused = e),
        );
      expect(sent).toBeGreaterThanOrEqual(10);
      expect(sent).toBeLessThanOrEqual(20);
      await expectReason(Promise.reject(refused as Error), 'RATE_LIMITED');
      await env.calls.updateCall({ callId: call!.id, action: A.HANG_UP }, a!.h);
    });
  });
}
