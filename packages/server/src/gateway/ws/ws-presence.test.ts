import { contacts, type gateway } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../../test/helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';
import { presenceKey, presenceOf } from '../../contracts/presence-keys.js';
import { connectAuthed, newUser, sleep } from './ws.test-helpers.js';

const DEBOUNCE = 200;

/** onConnect/onDisconnect as friends see them: online at once, offline after a debounce. */
describe('ws presence', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ overrides: { ws: { presenceDebounceMs: DEBOUNCE } } });
  });
  afterAll(() => server?.stop());

  const kv = () => server.app.value('kv');
  const online = async (userId: string) => (await presenceOf(kv(), [userId]))[0]!;

  it('marks a user online while a socket is open and offline, with last seen, after the debounce', async () => {
    const u = await newUser(server);
    expect(await online(u.userId)).toMatchObject({ online: false, lastSeenMs: 0 });
    const s = await connectAuthed(server, u.token);
    await expect.poll(async () => (await online(u.userId)).online, { timeout: 5000 }).toBe(true);
    const ttl = await kv().pttl(presenceKey(u.userId));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(server.app.config.ws.heartbeatTimeoutMs);
    const closedAt = Date.now();
    s.ws.close();
    await s.closed;
    await sleep(DEBOUNCE / 4);
    expect((await online(u.userId)).online).toBe(true); // still inside the debounce
    await expect.poll(async () => (await online(u.userId)).online, { timeout: 5000 }).toBe(false);
    const { lastSeenMs } = await online(u.userId);
    expect(lastSeenMs).toBeGreaterThanOrEqual(closedAt);
    expect(lastSeenMs).toBeLessThanOrEqual(Date.now());
  });

  it('stays online through a quick reconnect and while another socket of the user is open', async () => {
    const u = await newUser(server);
    const first = await connectAuthed(server, u.token);
    await expect.poll(async () => (await online(u.userId)).online, { timeout: 5000 }).toBe(true);
    first.ws.close();
    await first.closed;
    const second = await connectAuthed(server, u.token);
    await sleep(DEBOUNCE * 2);
    expect(await online(u.userId)).toMatchObject({ online: true });
    expect(await kv().leaseCount(presenceKey(u.userId))).toBe(1); // counted once, not twice
    second.ws.close();
    await expect.poll(async () => (await online(u.userId)).online, { timeout: 5000 }).toBe(false);
    expect(await kv().leaseCount(presenceKey(u.userId))).toBe(0);
  });

  // Needs contacts.ContactsInternalService.ListPresenceAudience (and friend requests).
  it('tells friends: online at once, nothing on a quick reconnect, offline with last seen after the debounce', async (ctx) => {
    if (!server.app.value('rpc').isLocal(contacts.ContactsInternalService)) ctx.skip();
    const a = await newUser(server);
    const b = await newUser(server);
    const api = server.client(contacts.ContactsService);
    await api.sendFriendRequest({ userId: b.userId }, bearer(a.token));
    await api.sendFriendRequest({ userId: a.userId }, bearer(b.token)); // crossing requests: friends
    const watcher = await connectAuthed(server, b.token);
    const isAbout = (online: boolean) => (f: gateway.ServerFrame) =>
      f.body.case === 'presence' && f.body.value.userId === a.userId && f.body.value.online === online;

    const s1 = await connectAuthed(server, a.token);
    await watcher.next(isAbout(true));
    s1.ws.close();
    await s1.closed;
    const s2 = await connectAuthed(server, a.token);
    await sleep(DEBOUNCE * 2);
    expect(watcher.all.filter((r) => r.frame.body.case === 'presence')).toHaveLength(1);
    s2.ws.close();
    const { frame } = await watcher.next(isAbout(false), 3_000);
    expect(frame.body.case === 'presence' && frame.body.value.lastSeenMs).toBeGreaterThan(0);
    watcher.ws.close();
  });
});
