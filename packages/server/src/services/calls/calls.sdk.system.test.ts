import { MyChatClient, type Call, type CallSignal } from '@mychat/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD } from '../../../test/helpers/auth-helpers.js';
import { befriend, setupAvailable, type TestUser } from '../../../test/helpers/contacts-helpers.js';
import { CALL_SETUPS, startCallsEnv, users, type CallsEnv } from './calls.test-helpers.js';

/** Waits for the first emission of an SDK event that passes `pred`. */
function next<T extends unknown[]>(
  on: (h: (...a: T) => void) => () => void,
  pred: (...a: T) => boolean = () => true,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no such event in time')), 5000);
    const off = on((...a) => {
      if (!pred(...a)) return;
      clearTimeout(timer);
      off();
      resolve(a);
    });
  });
}

/** client.calls end to end on each engine: ringing on two devices, answer on one, signals, hang up, history. */
for (const setup of CALL_SETUPS) {
  describe.skipIf(!(await setupAvailable(setup)))(`client.calls on ${setup.name}`, () => {
    let env: CallsEnv;
    const clients: MyChatClient[] = [];
    beforeAll(async () => {
      env = await startCallsEnv(setup, {
        calls: {
          stunUrls: ['stun:turn.example.com:3478'],
          turnUrls: ['turn:turn.example.com:3478'],
          turnSecret: 'k',
        },
      });
    });
    afterAll(async () => {
      for (const c of clients) await c.close();
      await env?.stop();
    });

    const device = async (u: TestUser, id: string) => {
      const c = new MyChatClient({
        baseUrl: env.server.baseUrl,
        device: { clientType: id, deviceId: id, name: id },
      });
      clients.push(c);
      await c.auth.login({ to: { email: u.email }, password: PASSWORD });
      await c.connect();
      return c;
    };

    it('rings both devices, the answer on one stops the other, signals reach it, and the history shows the call', async () => {
      const [a, b] = await users(env, 'Ann', 'Bob');
      const conv = await befriend(env.api, a!, b!);
      const ann = await device(a!, 'pc');
      const bobPc = await device(b!, 'web');
      const bobPhone = await device(b!, 'android');
      const ringPc = next<[Call]>((h) => bobPc.calls.on('incoming', h));
      const ringPhone = next<[Call]>((h) => bobPhone.calls.on('incoming', h));
      const { call } = await ann.calls.start(conv, 'video');
      expect(call).toMatchObject({ status: 'ringing', media: 'video', initiatorId: a!.id });
      expect((await ringPc)[0].id).toBe(call.id);
      expect((await ringPhone)[0].id).toBe(call.id);
      const stop = next<[Call]>((h) => bobPc.calls.on('answeredElsewhere', h));
      const accepted = await bobPhone.calls.accept(call.id);
      expect(accepted.status).toBe('active');
      expect((await stop)[0].id).toBe(call.id);
      // The phone offers to Ann's device; only that device takes the signal.
      const annSession = accepted.participants.find((p) => p.userId === a!.id)!.sessionId;
      const got = next<[CallSignal]>((h) => ann.calls.on('signal', h));
      await bobPhone.calls.signal(call.id, a!.id, annSession, 'offer', 'v=0');
      expect((await got)[0]).toMatchObject({ fromUserId: b!.id, kind: 'offer', data: 'v=0' });
      const record = next<[{ content: { type: string } }]>(
        (h) => bobPc.on('message', h),
        (m) => m.content.type === 'call',
      );
      const ended = next<[{ kind: string; call: Call }]>(
        (h) => bobPc.calls.on('event', h),
        (e) => e.kind === 'ended',
      );
      await ann.calls.hangUp(call.id);
      expect((await ended)[0].call.endReason).toBe('completed');
      const h = await bobPhone.calls.history();
      expect(h.entries[0]).toMatchObject({
        callId: call.id,
        answered: true,
        media: 'video',
        endReason: 'completed',
      });
      const ice = await ann.calls.iceServers();
      expect(ice.iceServers[0]).toEqual({ urls: ['stun:turn.example.com:3478'] });
      expect(ice.iceServers[1]!.username).toMatch(new RegExp(`^\\d+:${a!.id}$`));
      expect(ice.expiresAt).toBeGreaterThan(env.clock.now());
      // The record arrives as a message like any other.
      expect((await record)[0].content).toMatchObject({
        type: 'call',
        callId: call.id,
        outcome: 'completed',
      });
      const page = await bobPc.messages.history(conv, { limit: 5 });
      expect(page.messages.at(-1)?.content).toMatchObject({ type: 'call', media: 'video' });
    });
  });
}
