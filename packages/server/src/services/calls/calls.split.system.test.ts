import { calls, contacts } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, signUp } from '../../../test/helpers/auth-helpers.js';
import { backendAvailable, backendUrls, uniqueName } from '../../../test/helpers/backends.js';
import { createTestDatabaseUrl, dropTestDatabase } from '../../../test/helpers/sql-databases.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';
import { connectAuthed } from '../../gateway/ws/ws.test-helpers.js';
import { auth } from '@mychat/protocol';

const ok = (await backendAvailable('postgres')) && (await backendAvailable('redis'));

/**
 * Two MyChat processes on one PostgreSQL and one Redis, as behind a load balancer: the caller
 * on one, the callee on the other. The call's state lives in Redis and its events travel on the
 * bus, so ringing, the answer, signals and the end reach whichever process holds the socket.
 */
describe.skipIf(!ok)('calls split across two processes', () => {
  let one: TestServer;
  let two: TestServer;
  let sqlUrl: string;
  beforeAll(async () => {
    sqlUrl = await createTestDatabaseUrl('postgres');
    const prefix = uniqueName('calls') + ':';
    const overrides = {
      auth: { sendPerIpPerHour: 1_000_000, codeTriesPerIpPerHour: 1_000_000, loginPerIpPerWindow: 1_000_000 },
    };
    one = await startTestServer({ sqlUrl, redisUrl: backendUrls.redis, redisPrefix: prefix, overrides });
    two = await startTestServer({
      sqlUrl,
      redisUrl: backendUrls.redis,
      redisPrefix: prefix,
      overrides: { ...overrides, nodeId: 2 },
    });
  });
  afterAll(async () => {
    await one?.stop();
    await two?.stop();
    if (sqlUrl) await dropTestDatabase(sqlUrl);
  });

  it('rings, answers, relays and ends across processes', async () => {
    const a = (await signUp(one, one.client(auth.AuthService), { nickname: 'Ann' })).session;
    const b = (await signUp(two, two.client(auth.AuthService), { nickname: 'Bob' })).session;
    const c1 = one.client(contacts.ContactsService);
    const c2 = two.client(contacts.ContactsService);
    const req = await c1.sendFriendRequest({ userId: b.user!.id, note: '' }, bearer(a.accessToken));
    const { conversationId } = await c2.respondFriendRequest(
      { requestId: req.request!.id, action: 'accept' },
      bearer(b.accessToken),
    );
    const sa = await connectAuthed(one, a.accessToken);
    const sb = await connectAuthed(two, b.accessToken);
    const started = await one
      .client(calls.CallsService)
      .startCall({ conversationId, media: calls.CallMedia.VOICE }, bearer(a.accessToken));
    const callId = started.call!.id;
    const ring = await sb.next((f) => f.body.case === 'callEvent' && f.body.value.kind === 'ringing', 5000);
    expect(ring.frame.body.case === 'callEvent' && ring.frame.body.value.call?.id).toBe(callId);
    // Bob answers on the other process; Ann's socket on the first hears it.
    const api2 = two.client(calls.CallsService);
    await api2.updateCall({ callId, action: calls.CallAction.ACCEPT }, bearer(b.accessToken));
    await sa.next((f) => f.body.case === 'callEvent' && f.body.value.kind === 'accepted', 5000);
    await api2.sendSignal(
      { callId, toUserId: a.user!.id, toSessionId: a.sessionId, kind: calls.SignalKind.OFFER, data: 'v=0' },
      bearer(b.accessToken),
    );
    const sig = await sa.next((f) => f.body.case === 'callSignal', 5000);
    expect(sig.frame.body.case === 'callSignal' && sig.frame.body.value.data).toBe('v=0');
    await one
      .client(calls.CallsService)
      .updateCall({ callId, action: calls.CallAction.HANG_UP }, bearer(a.accessToken));
    await sb.next((f) => f.body.case === 'callEvent' && f.body.value.kind === 'ended', 5000);
    const seen = await api2.getCall({ callId }, bearer(b.accessToken));
    expect(seen.call!.status).toBe(calls.CallStatus.ENDED);
    sa.ws.close();
    sb.ws.close();
  });
});
