import fs from 'node:fs';
import path from 'node:path';
import { message, moments, push, stickers } from '@mychat/protocol';
import type { Client } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presenceKey } from '../../contracts/presence-keys.js';
import { manualClock } from '../../kernel/clock.js';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
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
import type { Kv } from '../../adapters/kv/kv.js';
import { noisyPng } from '../../../test/helpers/media-fixtures.js';
import { uploadOk } from '../../../test/helpers/media-helpers.js';
import type { PushSenderValue } from './push.module.js';
import { MyChatClient } from '@mychat/sdk';
import { PASSWORD } from '../../../test/helpers/auth-helpers.js';

type PushClient = Client<typeof push.PushService>;

/** Web Push end to end: a real server, a fake push service over HTTPS on loopback. */
describe('push notifications', () => {
  let env: ContactsEnv;
  let fake: FakePushService;
  let api: PushClient;
  let sender: PushSenderValue;
  let kv: Kv;
  const clock = manualClock();

  beforeAll(async () => {
    fake = await startFakePushService();
    env = await startContactsEnv(
      CONTACTS_SETUPS[0]!,
      {
        push: {
          allowedPrivateEndpoints: ['127.0.0.1/32'],
          caFile: fake.certFile,
          coalesceSeconds: 5,
          vapidSubject: 'mailto:ops@example.com',
        },
      },
      clock,
    );
    api = env.server.client(push.PushService);
    sender = env.server.app.value<PushSenderValue>('push-sender');
    kv = env.server.app.value<Kv>('kv');
  });
  afterAll(async () => {
    await env?.stop();
    await fake?.stop();
  });

  const subscribe = async (u: TestUser, deviceName = 'Test browser'): Promise<TestSubscription> => {
    const s = fake.subscription();
    await api.subscribePush({ endpoint: s.endpoint, p256dh: s.p256dh, auth: s.auth, deviceName }, u.h);
    return s;
  };
  const settled = () => sender.notifier.idle();
  const pair = async () => {
    const a = await newUser(env, 'Alice');
    const b = await newUser(env, 'Bob');
    const conv = await befriend(env.api, a, b);
    return { a, b, conv };
  };

  it('gives the VAPID public key, kept in a 0600 file of the data dir', async () => {
    const u = await newUser(env);
    const c = await api.getPushConfig({}, u.h);
    expect(c.enabled).toBe(true);
    expect(Buffer.from(c.vapidPublicKey, 'base64url')).toHaveLength(65);
    expect(c.subscribed).toBe(false);
    expect(c.settings).toMatchObject({ preview: false, dndEnabled: false, timeZone: 'UTC' });
    const mode = fs.statSync(path.join(env.server.dataDir, 'vapid-p256.pem')).mode & 0o777;
    expect(mode).toBe(0o600);
  });

  it('pushes a content-less notification to an offline recipient, encrypted and VAPID-signed', async () => {
    const { a, b, conv } = await pair();
    const s = await subscribe(b);
    expect((await api.getPushConfig({}, b.h)).subscribed).toBe(true);
    await sendText(env, a, conv, 'the secret words');
    await settled();
    const [p] = await fake.waitFor(1, s.id);
    expect(p!.payload).toMatchObject({
      kind: 'message',
      conversationId: conv,
      direct: true,
      from: 'Alice',
      count: 1,
      url: `/chat/${conv}`,
    });
    expect(p!.payload.text).toBeUndefined();
    expect(JSON.stringify(p!.payload)).not.toContain('secret');
    expect(p!.headers.ttl).toBe('43200');
    expect(p!.headers.topic).toBe(conv);
    expect(p!.headers.urgency).toBe('high');
    expect(p!.jwt.aud).toBe(fake.origin);
    expect(p!.jwt.sub).toBe('mailto:ops@example.com');
    expect(p!.jwt.exp * 1000).toBeLessThanOrEqual(Date.now() + 24 * 3600_000);
    expect(p!.jwt.exp * 1000).toBeGreaterThan(Date.now());
    expect(p!.vapidKey).toBe((await api.getPushConfig({}, b.h)).vapidPublicKey);
    // The sender is not pushed about their own message.
    expect(fake.received.filter((r) => r.payload.from === 'Bob')).toEqual([]);
  });

  it('previews the text only when the user turned preview on', async () => {
    const { a, b, conv } = await pair();
    const s = await subscribe(b);
    await api.updatePushSettings({ preview: true }, b.h);
    await sendText(env, a, conv, 'see you at eight');
    await settled();
    const [p] = await fake.waitFor(1, s.id);
    expect(p!.payload.text).toBe('see you at eight');
  });

  it('never previews an encrypted chat, even with preview on: it has no text to give', async () => {
    const { a, b } = await pair();
    const s = await subscribe(b);
    await api.updatePushSettings({ preview: true }, b.h);
    const messages = env.server.client(message.MessageService);
    const conv = (await messages.openEncryptedChat({ peerId: b.id }, a.h)).conversation!.id;
    const sealed = new TextEncoder().encode('canary words in the sealed body');
    await messages.sendMessage(
      {
        conversationId: conv,
        clientMsgId: `push-e2e-${conv}`,
        content: {
          body: {
            case: 'encrypted',
            value: {
              version: 1,
              ciphertext: sealed,
              nonce: new Uint8Array(12),
              senderDeviceId: '1'.repeat(32),
              ephemeralKey: new Uint8Array(32).fill(1),
              keys: [{ userId: b.id, deviceId: '2'.repeat(32), wrapped: new Uint8Array(48) }],
            },
          },
        },
      },
      a.h,
    );
    await settled();
    const [p] = await fake.waitFor(1, s.id);
    // A 1:1 chat that rings like one, named by its sender, with nothing of its content.
    expect(p!.payload).toMatchObject({ kind: 'message', conversationId: conv, direct: true, from: 'Alice' });
    expect(p!.payload.text).toBeUndefined();
    expect(p!.payload.media).toBeUndefined();
    expect(JSON.stringify(p!.payload)).not.toContain('canary');
    expect(p!.headers.urgency).toBe('high');
  });

  it('does not push a user who has a live socket', async () => {
    const { a, b, conv } = await pair();
    const s = await subscribe(b);
    await kv.leaseAdd(presenceKey(b.id), 'gateway-test', 60_000);
    await sendText(env, a, conv);
    await settled();
    expect(fake.for(s.id)).toEqual([]);
    await kv.leaseRemove(presenceKey(b.id), 'gateway-test');
    await sendText(env, a, conv);
    await settled();
    await fake.waitFor(1, s.id);
  });

  it('pushes no reactions, edits or pins, and the badge leaves out the silent ones', async () => {
    const { a, b, conv } = await pair();
    const s = await subscribe(b);
    await kv.leaseAdd(presenceKey(b.id), 'gateway-test', 60_000); // b reads the first one live
    const mine = (await sendText(env, b, conv, 'hello')).message!;
    const theirs = (await sendText(env, a, conv, 'helo')).message!;
    await env.messages.markRead({ conversationId: conv, seq: theirs.seq }, b.h);
    await kv.leaseRemove(presenceKey(b.id), 'gateway-test');
    const emoji = { conversationId: conv, seq: mine.seq, emoji: '👍' };
    await env.messages.reactToMessage({ ...emoji, clientMsgId: 'push-r1' }, a.h);
    await env.messages.editMessage({ conversationId: conv, seq: theirs.seq, text: 'hello' }, a.h);
    await env.messages.pinMessage({ conversationId: conv, seq: mine.seq }, a.h);
    await settled();
    expect(fake.for(s.id)).toEqual([]);
    await sendText(env, a, conv, 'news');
    await settled();
    const [p] = await fake.waitFor(1, s.id);
    // The pin notice and the new text are unread; the reaction and the edit are not.
    expect(p!.payload).toMatchObject({ count: 1, unread: 2 });
  });

  it('names a sticker and a chat record by their kind (the worker words it), never by content', async () => {
    const { a, b, conv } = await pair();
    const s = await subscribe(b);
    await api.updatePushSettings({ preview: true }, b.h);
    const token = a.h.headers.authorization.slice('Bearer '.length);
    const up = await uploadOk(env.server.baseUrl, token, 'image', await noisyPng(24, 24), 'p.png');
    const sticker = (await env.server.client(stickers.StickersService).addSticker({ mediaId: up.id }, a.h))
      .sticker!;
    const content = { body: { case: 'sticker' as const, value: { image: sticker.image!, emoji: '😂' } } };
    await env.messages.sendMessage({ conversationId: conv, clientMsgId: `push-stk-${conv}`, content }, a.h);
    await settled();
    const [p] = await fake.waitFor(1, s.id);
    expect(p!.payload).toMatchObject({ kind: 'message', direct: true, count: 1, media: 'sticker' });
    expect(p!.payload.text).toBeUndefined();
    // A merge-forward, to someone else (a burst of one conversation is one push).
    const c = await newUser(env, 'Carol');
    const toCarol = await befriend(env.api, a, c);
    const sc = await subscribe(c);
    const seq = (await sendText(env, a, conv, 'the canary line')).message!.seq;
    const record = {
      conversationId: toCarol,
      sourceConversationId: conv,
      seqs: [seq],
      title: 'Chat history',
    };
    await env.messages.forwardMessages({ ...record, clientMsgId: `push-rec-${conv}` }, a.h);
    await settled();
    const [r] = await fake.waitFor(1, sc.id);
    expect(r!.payload).toMatchObject({ kind: 'message', media: 'chat_record' });
    expect(JSON.stringify(r!.payload)).not.toContain('canary');
  });

  it('coalesces a burst into one later push with the count, same topic', async () => {
    const { a, b, conv } = await pair();
    const s = await subscribe(b);
    await sendText(env, a, conv, 'one');
    await settled();
    await fake.waitFor(1, s.id);
    for (const t of ['two', 'three', 'four']) await sendText(env, a, conv, t);
    await settled();
    expect(fake.for(s.id)).toHaveLength(1);
    clock.advance(6000);
    const pushes = await fake.waitFor(2, s.id, 5000);
    expect(pushes[1]!.payload).toMatchObject({ kind: 'message', count: 3 });
    expect(pushes[1]!.headers.topic).toBe(conv);
  });

  it('pushes a muted group only when the recipient is mentioned', async () => {
    const { a, b } = await pair();
    const g = (await env.api.createGroup({ name: 'Climbers', memberIds: [b.id] }, a.h)).group!;
    const s = await subscribe(b);
    await env.messages.updateConversationSettings({ conversationId: g.id, muted: true }, b.h);
    await sendText(env, a, g.id, 'no one in particular');
    await settled();
    clock.advance(6000);
    await new Promise((r) => setTimeout(r, 1500));
    await settled();
    expect(fake.for(s.id)).toEqual([]);
    await env.messages.sendMessage(
      {
        conversationId: g.id,
        clientMsgId: `m-${Date.now()}`,
        content: { body: { case: 'text', value: { text: '@Bob' } } },
        mentionUserIds: [b.id],
      },
      a.h,
    );
    await settled();
    const [p] = await fake.waitFor(1, s.id);
    expect(p!.payload).toMatchObject({ kind: 'message', group: 'Climbers', mention: true, direct: false });
    expect(p!.headers.urgency).toBe('high');
  });

  it('pushes a group message with normal urgency, and a friend request', async () => {
    const { a, b } = await pair();
    const c = await newUser(env, 'Carol');
    const s = await subscribe(c);
    await env.api.sendFriendRequest({ userId: c.id, note: '' }, a.h);
    await settled();
    const [fr] = await fake.waitFor(1, s.id);
    expect(fr!.payload).toMatchObject({ kind: 'friend_request', from: 'Alice', url: '/contacts' });
    const sb = await subscribe(b);
    const g = (await env.api.createGroup({ name: 'Choir', memberIds: [b.id] }, a.h)).group!;
    await settled();
    await sendText(env, a, g.id, 'rehearsal');
    await settled();
    const got = await fake.waitFor(2, sb.id);
    expect(got.map((p) => p.payload.kind)).toEqual(['group_joined', 'message']);
    expect(got[1]!.headers.urgency).toBe('normal');
  });

  it('deletes a subscription the push service answers 410 for', async () => {
    const { a, b, conv } = await pair();
    const s = await subscribe(b);
    fake.answer(s.id, 410);
    await sendText(env, a, conv);
    await settled();
    await fake.waitFor(1, s.id);
    expect((await api.listPushSubscriptions({}, b.h)).subscriptions).toEqual([]);
  });

  it('holds normal pushes during do-not-disturb in the user’s time zone and releases them after', async () => {
    const { a, b } = await pair();
    const g = (await env.api.createGroup({ name: 'Night owls', memberIds: [b.id] }, a.h)).group!;
    const s = await subscribe(b);
    await settled();
    const before = fake.for(s.id).length;
    const local = new Intl.DateTimeFormat('en-US', {
      timeZone: 'Asia/Shanghai',
      hour: 'numeric',
      minute: 'numeric',
      hourCycle: 'h23',
    })
      .formatToParts(clock.now())
      .reduce(
        (m, p) =>
          p.type === 'hour' ? m + Number(p.value) * 60 : p.type === 'minute' ? m + Number(p.value) : m,
        0,
      );
    await api.updatePushSettings(
      {
        dndEnabled: true,
        dndStartMinute: (local + 1430) % 1440,
        dndEndMinute: (local + 20) % 1440,
        timeZone: 'Asia/Shanghai',
      },
      b.h,
    );
    await sendText(env, a, g.id, 'late');
    await settled();
    expect(fake.for(s.id)).toHaveLength(before);
    expect(await sender.dispatch.releaseDue()).toBe(0);
    clock.advance(21 * 60_000);
    expect(await sender.dispatch.releaseDue()).toBe(1);
    const got = await fake.waitFor(before + 1, s.id);
    expect(got.at(-1)!.payload).toMatchObject({ kind: 'message', group: 'Night owls' });
  });

  it('sends a test push to this device, and refuses bad settings', async () => {
    const u = await newUser(env);
    await expectReason(api.sendTestPush({}, u.h), 'NOT_FOUND');
    const s = await subscribe(u);
    expect((await api.sendTestPush({}, u.h)).accepted).toBe(true);
    expect((await fake.waitFor(1, s.id))[0]!.payload.kind).toBe('test');
    await expectReason(api.updatePushSettings({ timeZone: 'Mars/Olympus' }, u.h), 'INVALID_ARGUMENT');
    await expectReason(api.updatePushSettings({ dndStartMinute: 1440 }, u.h), 'INVALID_ARGUMENT');
    const list = (await api.listPushSubscriptions({}, u.h)).subscriptions;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      deviceName: 'Test browser',
      pushService: new URL(fake.origin).host,
      current: true,
    });
    expect(list.map((l) => `${l.pushService} ${l.deviceName}`).join()).not.toContain(s.id);
  });

  it('refuses bad keys and endpoints with stable codes', async () => {
    const u = await newUser(env);
    const s = fake.subscription();
    const sub = (o: Partial<TestSubscription>) => api.subscribePush({ ...s, deviceName: 'x', ...o }, u.h);
    await expectReason(sub({ p256dh: Buffer.alloc(65, 4).toString('base64url') }), 'PUSH_KEYS_INVALID');
    await expectReason(sub({ p256dh: 'not base64!' }), 'PUSH_KEYS_INVALID');
    await expectReason(sub({ auth: Buffer.alloc(8).toString('base64url') }), 'PUSH_KEYS_INVALID');
    await expectReason(sub({ endpoint: s.endpoint.replace('https:', 'http:') }), 'PUSH_ENDPOINT_REFUSED');
    await expectReason(sub({ endpoint: 'https://user:pw@127.0.0.1/x' }), 'PUSH_ENDPOINT_REFUSED');
    await expectReason(sub({ endpoint: 'https://10.1.2.3/x' }), 'PUSH_ENDPOINT_REFUSED');
    await expectReason(sub({ endpoint: `https://x${'a'.repeat(1100)}.com/` }), 'FIELD_TOO_LONG');
    await expectReason(sub({ deviceName: 'd'.repeat(65) }), 'FIELD_TOO_LONG');
    // Each call resolves a host name the caller chose: at most 30 an hour.
    for (let i = 0; i < 30; i++) await sub({ endpoint: `https://10.9.9.${i}/x` }).catch(() => undefined);
    await expectReason(sub({}), 'RATE_LIMITED');
  });

  it('pushes moment likes, comments and reminders to an offline author, the comment only with preview', async () => {
    const { a, b } = await pair();
    const mapi = env.server.client(moments.MomentsService);
    const s = await subscribe(b);
    const post = (await mapi.publishMoment({ text: 'summit' }, b.h)).moment!;
    await mapi.likeMoment({ momentId: post.id }, a.h);
    await settled();
    const [like] = await fake.waitFor(1, s.id);
    expect(like!.payload).toMatchObject({
      kind: 'moment',
      notice: 'like',
      from: 'Alice',
      url: `/discover/moment/${post.id}`,
    });
    expect(like!.headers.topic).toBe('moments');
    expect(like!.headers.urgency).toBe('normal');
    await mapi.commentMoment({ momentId: post.id, text: 'the view up there' }, a.h);
    await settled();
    const comment = (await fake.waitFor(2, s.id))[1]!;
    expect(comment.payload).toMatchObject({ kind: 'moment', notice: 'comment' });
    expect(JSON.stringify(comment.payload)).not.toContain('view up');
    await api.updatePushSettings({ preview: true }, b.h);
    await mapi.commentMoment({ momentId: post.id, text: 'again' }, a.h);
    await settled();
    expect((await fake.waitFor(3, s.id))[2]!.payload).toMatchObject({ notice: 'comment', text: 'again' });
    // A reminder reaches the person reminded; an online one is not pushed.
    const sa = await subscribe(a);
    await mapi.publishMoment({ text: 'look', mentionUserIds: [a.id] }, b.h);
    await settled();
    expect((await fake.waitFor(1, sa.id))[0]!.payload).toMatchObject({ notice: 'mention', from: 'Bob' });
    await kv.leaseAdd(presenceKey(b.id), 'gateway-test', 60_000);
    await mapi.commentMoment({ momentId: post.id, text: 'online now' }, a.h);
    await settled();
    expect(fake.for(s.id)).toHaveLength(3);
    await kv.leaseRemove(presenceKey(b.id), 'gateway-test');
  });

  it('works through the SDK: client.push', async () => {
    const u = await newUser(env, 'Sdk');
    const client = new MyChatClient({
      baseUrl: env.server.baseUrl,
      device: { clientType: 'pc', deviceId: 'sdk-1', name: 'SDK' },
    });
    await client.auth.login({ to: { email: u.email }, password: PASSWORD });
    const c = await client.push.config();
    expect(c).toMatchObject({
      enabled: true,
      subscribed: false,
      settings: { preview: false, timeZone: 'UTC' },
    });
    const s = fake.subscription();
    const d = await client.push.subscribe(
      { endpoint: s.endpoint, keys: { p256dh: s.p256dh, auth: s.auth } },
      'Laptop',
    );
    expect(d).toMatchObject({ deviceName: 'Laptop', clientType: 'pc', current: true });
    expect((await client.push.devices()).map((x) => x.deviceName)).toEqual(['Laptop']);
    expect(await client.push.updateSettings({ preview: true, timeZone: 'Europe/Berlin' })).toMatchObject({
      preview: true,
      timeZone: 'Europe/Berlin',
    });
    expect(await client.push.sendTest()).toBe(true);
    expect(await client.push.unsubscribe()).toBe(true);
    expect(await client.push.devices()).toEqual([]);
    client.close();
  });
});
