import { calls, push } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../kernel/clock.js';
import {
  befriend,
  CONTACTS_SETUPS,
  newUser,
  startContactsEnv,
  type ContactsEnv,
} from '../../../test/helpers/contacts-helpers.js';
import { startFakePushService, type FakePushService } from '../../../test/helpers/fake-push-service.js';
import type { CallsService } from '../calls/calls.service.js';
import type { PushSenderValue } from './push.module.js';

/** An incoming call rings an offline callee by Web Push, with urgency high; the missed call follows. */
describe('ringing by push', () => {
  let env: ContactsEnv;
  let fake: FakePushService;
  const clock = manualClock();

  beforeAll(async () => {
    fake = await startFakePushService();
    env = await startContactsEnv(
      CONTACTS_SETUPS[0]!,
      { push: { allowedPrivateEndpoints: ['127.0.0.1/32'], caFile: fake.certFile } },
      clock,
    );
  });
  afterAll(async () => {
    await env?.stop();
    await fake?.stop();
  });

  it('pushes the ringing call to the offline callee only, then the missed call record', async () => {
    const a = await newUser(env, 'Alice');
    const b = await newUser(env, 'Bob');
    const conv = await befriend(env.api, a, b);
    const api = env.server.client(push.PushService);
    const s = fake.subscription();
    await api.subscribePush(
      { endpoint: s.endpoint, p256dh: s.p256dh, auth: s.auth, deviceName: 'Phone' },
      b.h,
    );
    const sa = fake.subscription();
    await api.subscribePush(
      { endpoint: sa.endpoint, p256dh: sa.p256dh, auth: sa.auth, deviceName: 'PC' },
      a.h,
    );
    const sender = env.server.app.value<PushSenderValue>('push-sender');
    const callsApi = env.server.client(calls.CallsService);
    const { call } = await callsApi.startCall({ conversationId: conv, media: calls.CallMedia.VIDEO }, a.h);
    await sender.notifier.idle();
    const [ring] = await fake.waitFor(1, s.id);
    expect(ring!.payload).toMatchObject({
      kind: 'call',
      callId: call!.id,
      media: 'video',
      from: 'Alice',
      direct: true,
      url: `/chat/${conv}`,
    });
    expect(ring!.headers.urgency).toBe('high');
    clock.advance(45_000);
    await env.server.app.value<CallsService>('calls').sweepAll();
    await sender.notifier.idle();
    const got = await fake.waitFor(2, s.id);
    expect(got[1]!.payload).toMatchObject({ kind: 'message', media: 'call', conversationId: conv });
    // The caller is never rung by their own call.
    expect(fake.received.filter((r) => r.payload.kind === 'call' && r.payload.from !== 'Alice')).toEqual([]);
    expect(fake.received.filter((r) => r.payload.kind === 'call')).toHaveLength(1);
  });
});
