import { MyChatClient, MyChatError, type StoredSession } from '@mychat/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, uniqueEmail } from '../helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** The SDK's account API against a real server, as an app would use it. */
describe('sdk: accounts', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  const newClient = (deviceId = 'sdk-1', clientType: 'web' | 'pc' | 'bot' = 'web') =>
    new MyChatClient({ baseUrl: server.baseUrl, device: { clientType, deviceId, name: 'vitest' } });

  async function registered() {
    const client = newClient();
    const email = uniqueEmail('sdk');
    await client.auth.sendCode({ email }, 'register');
    const code = await server.codeFor(email);
    const me = await client.auth.register({ to: { email }, code, password: PASSWORD, nickname: 'Sdk' });
    return { client, email, me };
  }

  it('registers, reads the profile, updates it and lists devices', async () => {
    const events: string[] = [];
    const { client, email, me } = await registered();
    client.on('session', (_s, why) => events.push(why));
    expect(me.email).toBe(email);
    expect((await client.auth.me()).id).toBe(me.id);
    expect((await client.auth.updateProfile({ signature: 'hi' })).signature).toBe('hi');
    const devices = await client.auth.devices();
    expect(devices).toHaveLength(1);
    expect(devices[0]!.current).toBe(true);
    await client.auth.logout();
    expect(events).toEqual(['logout']);
    await expect(client.auth.me()).rejects.toMatchObject({ reason: 'UNAUTHENTICATED' });
  });

  it('refreshes an access token that is about to expire, once for concurrent calls', async () => {
    const { client } = await registered();
    const refreshes: StoredSession[] = [];
    client.on('session', (s, why) => why === 'refresh' && refreshes.push(s!));
    const s = (await client.auth.session())!;
    // Pretend the token expires in 10 s: the next calls must refresh first, together.
    s.accessExpiresAt = Date.now() + 10_000;
    const [a, b] = await Promise.all([client.auth.me(), client.auth.me()]);
    expect(a.id).toBe(b.id);
    expect(refreshes).toHaveLength(1);
    expect(refreshes[0]!.refreshToken).not.toBe(s.refreshToken);
  });

  it('reports stable reasons and reacts to a kick', async () => {
    const client = newClient();
    const err = await client.auth.sendCode({ email: 'nope' }, 'register').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MyChatError);
    expect((err as MyChatError).reason).toBe('INVALID_EMAIL');
    expect((err as MyChatError).field).toBe('email');

    const { client: first, email } = await registered();
    const ended: string[] = [];
    first.on('session', (_s, why) => ended.push(why));
    const second = newClient('sdk-2');
    await second.auth.login({ to: { email }, password: PASSWORD });
    await expect(first.auth.me()).rejects.toMatchObject({ reason: 'SESSION_REVOKED' });
    expect(ended).toEqual(['ended']);
    expect(await first.auth.session()).toBeUndefined();
  });
});
