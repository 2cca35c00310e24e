import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, device, PASSWORD } from '../../../test/helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';
import { closedWithin, connectAuthed, is, newUser } from './ws.test-helpers.js';

/** Sessions ended elsewhere (kick, logout) end their sockets here at once. */
describe('ws ended sessions', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  it('kicks the older web socket (sessionEnded kicked, close 4409) when the account logs in on web again', async () => {
    const u = await newUser(server);
    const first = await connectAuthed(server, u.token);
    const pc = await u.api.login({
      destination: { case: 'email', value: u.email },
      credential: { case: 'password', value: PASSWORD },
      device: device('pc', 'dev-pc'),
    });
    const pcSocket = await connectAuthed(server, pc.session!.accessToken);
    await u.api.login({
      destination: { case: 'email', value: u.email },
      credential: { case: 'password', value: PASSWORD },
      device: device('web', 'dev-2'),
    });
    const { frame } = await first.next(is('sessionEnded'));
    expect(frame.body.value).toMatchObject({ reason: 'kicked' });
    expect((await first.closed).code).toBe(4409);
    // Another client type of the same account is not affected.
    expect(await closedWithin(pcSocket, 100)).toBeUndefined();
    pcSocket.ws.close();
  });

  it('closes the socket of a session that logs out with sessionEnded logout and 4401', async () => {
    const u = await newUser(server);
    const s = await connectAuthed(server, u.token, 'text');
    await u.api.logout({}, bearer(u.token));
    const r = await s.next(is('sessionEnded'));
    expect(r.text).toBe(true);
    expect(r.frame.body.value).toMatchObject({ reason: 'logout' });
    expect((await s.closed).code).toBe(4401);
  });
});
