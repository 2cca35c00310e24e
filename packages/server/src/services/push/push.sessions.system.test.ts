import { auth, message, push } from '@mychat/protocol';
import { ConnectError } from '@connectrpc/connect';
import type { RpcHub } from '../../rpc/rpc-hub.js';
import { errorInfoOf } from '../../kernel/errors.js';
import type { Client } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../../adapters/sql/sql.js';
import { bearer, device, PASSWORD } from '../../../test/helpers/auth-helpers.js';
import {
  befriend,
  CONTACTS_SETUPS,
  newUser,
  sendText,
  startContactsEnv,
  type ContactsEnv,
  type TestUser,
} from '../../../test/helpers/contacts-helpers.js';
import {
  startFakePushService,
  type FakePushService,
  type TestSubscription,
} from '../../../test/helpers/fake-push-service.js';
import type { PushSenderValue } from './push.module.js';
import { PushRepository } from './push.repository.js';

/**
 * A subscription belongs to its session: every way a session ends deletes it, and a device
 * whose session ended gets no push, even when the notice of the end was lost.
 */
describe('push subscriptions end with their session', () => {
  let env: ContactsEnv;
  let fake: FakePushService;
  let api: Client<typeof push.PushService>;
  let sender: PushSenderValue;
  let repo: PushRepository;

  beforeAll(async () => {
    fake = await startFakePushService();
    env = await startContactsEnv(CONTACTS_SETUPS[0]!, {
      push: { allowedPrivateEndpoints: ['127.0.0.1/32'], caFile: fake.certFile },
      auth: { sendCooldownSeconds: 0 },
    });
    api = env.server.client(push.PushService);
    sender = env.server.app.value<PushSenderValue>('push-sender');
    repo = PushRepository.of(env.server.app.value<SqlDatabase>('sql'));
  });
  afterAll(async () => {
    await env?.stop();
    await fake?.stop();
  });

  const subscribe = async (h: ReturnType<typeof bearer>): Promise<TestSubscription> => {
    const s = fake.subscription();
    await api.subscribePush({ endpoint: s.endpoint, p256dh: s.p256dh, auth: s.auth, deviceName: 'd' }, h);
    return s;
  };
  const login = async (u: TestUser, clientType: string) => {
    const r = await env.authApi.login({
      destination: { case: 'email', value: u.email },
      credential: { case: 'password', value: PASSWORD },
      device: device(clientType, `${clientType}-dev`),
    });
    return { sessionId: r.session!.sessionId, h: bearer(r.session!.accessToken) };
  };
  const gone = async (sessionId: string) => {
    for (let i = 0; i < 100 && (await repo.bySession(sessionId)); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(await repo.bySession(sessionId)).toBeUndefined();
  };

  /**
   * Bob has a web session (subscribed, then ended by `end`) and a pc session (subscribed);
   * after the end, a message reaches the pc subscription only.
   */
  async function endsWith(
    end: (bob: TestUser, pc: { sessionId: string; h: ReturnType<typeof bearer> }) => Promise<void>,
    pcSurvives = true,
  ) {
    const a = await newUser(env, 'Alice');
    const b = await newUser(env, 'Bob');
    const conv = await befriend(env.api, a, b);
    const web = await subscribe(b.h);
    const pc = await login(b, 'pc');
    const pcSub = await subscribe(pc.h);
    await end(b, pc);
    await gone(b.sessionId);
    await sendText(env, a, conv, 'after the end');
    await sender.notifier.idle();
    if (pcSurvives) await fake.waitFor(1, pcSub.id);
    else expect(fake.for(pcSub.id)).toEqual([]);
    expect(fake.for(web.id)).toEqual([]);
  }

  it('logout', () => endsWith((b) => env.authApi.logout({}, b.h).then(() => undefined)));

  it('device revoke', () =>
    endsWith((b, pc) => env.authApi.revokeDevice({ sessionId: b.sessionId }, pc.h).then(() => undefined)));

  it('password change (ends every other session)', () =>
    endsWith((_b, pc) =>
      env.authApi
        .changePassword({ oldPassword: PASSWORD, newPassword: 'amber-lantern-93' }, pc.h)
        .then(() => undefined),
    ));

  it('password reset (ends every session)', () =>
    endsWith(async (b, pc) => {
      await env.authApi.sendVerificationCode({
        destination: { case: 'email', value: b.email },
        purpose: 'reset-password',
        locale: 'en',
      });
      const code = await env.server.codeFor(b.email);
      await env.authApi.resetPassword({
        destination: { case: 'email', value: b.email },
        code,
        newPassword: 'amber-lantern-93',
      });
      await gone(pc.sessionId);
    }, false));

  it('a same-type kick', () =>
    endsWith(async (b) => {
      await login(b, 'web');
    }));

  it('a session whose end notice was lost is checked with auth before each push, and pruned', async () => {
    const a = await newUser(env, 'Alice');
    const b = await newUser(env, 'Bob');
    const conv = await befriend(env.api, a, b);
    const s = await subscribe(b.h);
    const row = (await repo.bySession(b.sessionId))!;
    await env.authApi.logout({}, b.h);
    await gone(b.sessionId);
    // As if the bus had lost the notice: the row is back.
    await repo.saveSubscription(row);
    await sendText(env, a, conv);
    await sender.notifier.idle();
    expect(fake.for(s.id)).toEqual([]);
    expect(await repo.bySession(b.sessionId)).toBeUndefined();
  });

  it('the peers it asks (auth LiveSessions, message GetPushContext) answer only what they should', async () => {
    const hub = env.server.app.value<RpcHub>('rpc');
    const directory = hub.client(auth.UserDirectoryService);
    const internal = hub.client(message.MessageInternalService);
    const a = await newUser(env, 'Alice');
    const b = await newUser(env, 'Bob');
    const conv = await befriend(env.api, a, b);
    const live = await directory.liveSessions({ sessionIds: [a.sessionId, b.sessionId, '123'] });
    expect(live.sessionIds.sort()).toEqual([a.sessionId, b.sessionId].sort());
    await env.authApi.logout({}, b.h);
    expect((await directory.liveSessions({ sessionIds: [a.sessionId, b.sessionId] })).sessionIds).toEqual([
      a.sessionId,
    ]);
    await env.messages.updateConversationSettings({ conversationId: conv, muted: true }, a.h);
    await sendText(env, b, conv).catch(() => undefined);
    const ctx = await internal.getPushContext({ conversationId: conv, userIds: [a.id, b.id, '999'] });
    expect(ctx.type).toBe(message.ConversationType.DIRECT);
    expect(ctx.recipients.map((r) => [r.userId, r.muted]).sort()).toEqual(
      [
        [a.id, true],
        [b.id, false],
      ].sort(),
    );
    const reason = async (p: Promise<unknown>) => {
      try {
        await p;
        return 'ok';
      } catch (e) {
        return e instanceof ConnectError ? errorInfoOf(e)?.reason : String(e);
      }
    };
    expect(await reason(directory.liveSessions({ sessionIds: ['x'] }))).toBe('INVALID_ARGUMENT');
    expect(
      await reason(
        directory.liveSessions({ sessionIds: Array.from({ length: 1001 }, (_, i) => String(i + 1)) }),
      ),
    ).toBe('INVALID_ARGUMENT');
    expect(await reason(internal.getPushContext({ conversationId: 'x', userIds: [] }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(
      await reason(
        internal.getPushContext({
          conversationId: conv,
          userIds: Array.from({ length: 1001 }, (_, i) => String(i + 1)),
        }),
      ),
    ).toBe('INVALID_ARGUMENT');
    expect(await internal.getPushContext({ conversationId: '77', userIds: [a.id] })).toMatchObject({
      recipients: [],
    });
  });
});
