import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { device, PASSWORD } from '../../../test/helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';
import { closedWithin, connectAuthed, is, newUser, type TestSocket } from './ws.test-helpers.js';

const PER_SESSION = 4;
const PER_USER = 6;

const isOpen = (s: TestSocket) => s.ws.readyState === s.ws.OPEN;

/** Waits until `n` sockets of `all` have closed; resolves with their close codes. */
function closesReach(all: TestSocket[], n: number): Promise<number[]> {
  const codes: number[] = [];
  return new Promise((resolve) => {
    if (n === 0) return resolve(codes);
    for (const s of all)
      void s.closed.then(({ code }) => {
        if (codes.push(code) === n) resolve(codes);
      });
  });
}

/** onAuthenticate: one token or one account cannot hold more than its share of sockets. */
describe('ws socket caps per session and per user', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      overrides: { ws: { maxSocketsPerSession: PER_SESSION, maxSocketsPerUser: PER_USER } },
    });
  });
  afterAll(() => server?.stop());

  it('a 2 000-socket attempt on one token ends with at most the cap open, the oldest closed with 4430', async () => {
    const u = await newUser(server);
    const sockets: TestSocket[] = [];
    for (let wave = 0; wave < 20; wave++) {
      const batch = await Promise.all(Array.from({ length: 100 }, () => connectAuthed(server, u.token)));
      sockets.push(...batch);
    }
    // The last one, opened alone, is certainly the newest.
    const newest = await connectAuthed(server, u.token);
    sockets.push(newest);
    const codes = await closesReach(sockets, sockets.length - PER_SESSION);
    expect(new Set(codes)).toEqual(new Set([4430]));
    const open = sockets.filter(isOpen);
    expect(open.length).toBe(PER_SESSION);
    expect(open).toContain(newest);
    newest.send({ requestId: 7, body: { case: 'ping', value: { clientTimeMs: 1 } } });
    expect((await newest.next(is('pong'))).frame.requestId).toBe(7);
    for (const s of open) s.ws.close();
  }, 120_000);

  it('counts every session of the account: over the user cap the oldest socket goes, whichever session', async () => {
    const u = await newUser(server);
    const pc = await u.api.login({
      destination: { case: 'email', value: u.email },
      credential: { case: 'password', value: PASSWORD },
      device: device('pc', 'dev-pc'),
    });
    const webSockets: TestSocket[] = [];
    for (let i = 0; i < PER_SESSION; i++) webSockets.push(await connectAuthed(server, u.token));
    const pcSockets: TestSocket[] = [];
    for (let i = 0; i < PER_USER - PER_SESSION; i++)
      pcSockets.push(await connectAuthed(server, pc.session!.accessToken));
    // At the cap exactly: nothing closed.
    expect(await closedWithin(webSockets[0]!, 100)).toBeUndefined();
    const extra = await connectAuthed(server, pc.session!.accessToken);
    expect((await webSockets[0]!.closed).code).toBe(4430);
    const all = [...webSockets, ...pcSockets, extra];
    expect(all.filter(isOpen).length).toBe(PER_USER);
    for (const s of all) s.ws.close();
  });

  it('leaves other accounts alone', async () => {
    const a = await newUser(server);
    const b = await newUser(server);
    const bSocket = await connectAuthed(server, b.token);
    const aSockets: TestSocket[] = [];
    for (let i = 0; i < PER_SESSION + 3; i++) aSockets.push(await connectAuthed(server, a.token));
    await Promise.all(aSockets.slice(0, 3).map((s) => s.closed));
    expect(isOpen(bSocket)).toBe(true);
    for (const s of [...aSockets, bSocket]) s.ws.close();
  });
});
