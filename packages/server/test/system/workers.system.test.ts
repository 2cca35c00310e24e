import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { contacts, type gateway } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { WsClose } from '../../src/gateway/ws/ws-close-codes.js';
import { is, type TestSocket } from '../../src/gateway/ws/ws.test-helpers.js';
import { bearer, device, PASSWORD } from '../helpers/auth-helpers.js';
import {
  signUpOver,
  startWorkersServer,
  workerOf,
  type WorkersServer,
} from '../../src/workers/workers.test-helpers.js';

type Person = Awaited<ReturnType<typeof signUpOver>>;
type Socket = TestSocket & { worker: number };

/**
 * `mychat serve --workers=2`: what one process guarantees holds when the sockets of a case
 * sit on different workers (each test puts them there; every answer names its worker).
 */
describe('socket workers keep the semantics of one process', () => {
  let s: WorkersServer;
  let requestId = 100;

  beforeAll(async () => {
    s = await startWorkersServer(2, {
      MYCHAT_WS_MAX_SOCKETS_PER_USER: '3',
      MYCHAT_WS_MAX_PENDING_SOCKETS_PER_IP: '4',
      MYCHAT_AUTH_LOGIN_PER_IP_PER_WINDOW: '10',
      // The login test names its own client address (X-Forwarded-For), away from the other tests'.
      MYCHAT_HTTP_TRUSTED_PROXIES: '127.0.0.1',
    });
  }, 120_000);
  afterAll(() => s?.stop());

  /** A socket on `worker`, authenticated with `token`. */
  async function authedOn(worker: number, token: string): Promise<Socket> {
    const sock = await s.socketOn(worker);
    sock.send({ requestId: 1, body: { case: 'auth', value: { accessToken: token } } });
    const { frame } = await sock.next();
    expect(frame.body.case).toBe('authOk');
    return sock;
  }

  /** Sends a request frame and waits for its answer. */
  async function ask(sock: Socket, body: gateway.ClientFrame['body']): Promise<gateway.ServerFrame> {
    const id = ++requestId;
    sock.send({ requestId: id, body } as never);
    return (await sock.next((f) => f.requestId === id, 5_000)).frame;
  }

  async function befriend(a: Person, b: Person): Promise<string> {
    const api = s.client(contacts.ContactsService);
    const sent = await api.sendFriendRequest({ userId: b.userId, note: '' }, bearer(a.token));
    const res = await api.respondFriendRequest(
      { requestId: sent.request!.id, action: 'accept' },
      bearer(b.token),
    );
    return res.conversationId;
  }

  /** Another session of `p` on a device of `clientType`. */
  async function login(p: Person, clientType: string, deviceId: string) {
    const res = await p.api.login({
      destination: { case: 'email', value: p.email },
      credential: { case: 'password', value: PASSWORD },
      device: device(clientType, deviceId),
    });
    return { token: res.session!.accessToken, sessionId: res.session!.sessionId };
  }

  const send = (sock: Socket, conversationId: string, clientMsgId: string, text: string) =>
    ask(sock, {
      case: 'send',
      value: { conversationId, clientMsgId, content: { body: { case: 'text', value: { text } } } },
    } as never);

  it('delivers across workers: ack after commit, push to the friend and to a second device elsewhere, sync', async () => {
    const [alice, bob] = [await signUpOver(s), await signUpOver(s)];
    const conv = await befriend(alice, bob);
    const bobIos = await login(bob, 'ios', 'bob-phone');
    const aliceSock = await authedOn(1, alice.token);
    const bobPc = await authedOn(2, bob.token);
    const bobPhone = await authedOn(1, bobIos.token);

    const ack = await send(aliceSock, conv, 'm-1', 'hello across workers');
    expect(ack.body.case).toBe('sendAck');
    const seq = ack.body.case === 'sendAck' ? ack.body.value.message!.seq : 0;
    expect(seq).toBe(2); // seq 1 is the "You are now friends" line
    for (const sock of [bobPc, bobPhone]) {
      const { frame } = await sock.next(is('message'));
      expect(frame.body.value).toMatchObject({ conversationId: conv, seq });
    }
    // Read on one device: the other device of the same person hears of it, and so does the sender.
    expect(
      (await ask(bobPc, { case: 'read', value: { conversationId: conv, seq } } as never)).body.case,
    ).toBe('ok');
    await bobPhone.next(is('conversation'));
    const receipt = await aliceSock.next(is('receipt'));
    expect(receipt.frame.body.value).toMatchObject({ conversationId: conv, readSeq: seq });
    // Sync, from either worker, tells where every conversation stands.
    const sync = await ask(bobPhone, { case: 'sync', value: { sincePts: 0 } } as never);
    expect(sync.body.case === 'sync' && sync.body.value.heads).toContainEqual(
      expect.objectContaining({ conversationId: conv, lastSeq: seq }),
    );
    for (const sock of [aliceSock, bobPc, bobPhone]) sock.ws.close();
  });

  it("closes a kicked or logged-out session's sockets on every worker, and only those", async () => {
    const carol = await signUpOver(s, { clientType: 'web' });
    const pc = await login(carol, 'pc', 'carol-pc');
    const web1 = await authedOn(1, carol.token);
    const web2 = await authedOn(2, carol.token);
    const pcSock = await authedOn(2, pc.token);
    // A second web login ends the first web session (one web session per account).
    await login(carol, 'web', 'carol-web-2');
    for (const sock of [web1, web2]) {
      const ended = await sock.next(is('sessionEnded'));
      expect(ended.frame.body.value).toMatchObject({ reason: 'kicked' });
      expect((await sock.closed).code).toBe(WsClose.KICKED);
    }
    expect(pcSock.ws.readyState).toBe(pcSock.ws.OPEN);
    await carol.api.logout({}, bearer(pc.token));
    expect((await pcSock.closed).code).toBe(WsClose.UNAUTHENTICATED);
  });

  it("keeps a user's sockets at the cap across workers: the oldest over it are closed", async () => {
    const dave = await signUpOver(s);
    const socks: Socket[] = [];
    for (const worker of [1, 2, 1, 2, 1]) socks.push(await authedOn(worker, dave.token));
    await sleep(300);
    const open = socks.filter((x) => x.ws.readyState === x.ws.OPEN);
    expect(open).toEqual(socks.slice(2));
    for (const old of socks.slice(0, 2)) expect((await old.closed).code).toBe(WsClose.TOO_MANY_SOCKETS);
    for (const x of open) x.ws.close();
  });

  it('gives one address its share of unauthenticated sockets across workers, no more', async () => {
    await sleep(300); // sockets opened and closed by earlier tests leave the pool
    const held: Socket[] = [];
    for (let i = 0; i < 4; i++) held.push(await s.socket());
    expect(new Set(held.map((x) => x.worker))).toEqual(new Set([1, 2]));
    // Two more tries, one per worker: both refused.
    for (let i = 0; i < 2; i++) await expect(s.socket()).rejects.toThrow(/HTTP 429/);
    // One authenticates and leaves the pool: room for one more.
    const erin = await signUpOver(s);
    held[0]!.send({ requestId: 1, body: { case: 'auth', value: { accessToken: erin.token } } });
    await held[0]!.next(is('authOk'));
    await sleep(100);
    held.push(await s.socket());
    for (const x of held) x.ws.close();
  });

  it('counts login attempts per address across workers', async () => {
    const frank = await signUpOver(s);
    const attempt = () =>
      new Promise<{ status: number; worker: number; body: string }>((resolve, reject) => {
        const req = http.request(
          `${s.baseUrl}/mychat.auth.v1.AuthService/Login`,
          {
            method: 'POST',
            agent: false,
            headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.7' },
          },
          (res) => {
            let body = '';
            res.on('data', (d: Buffer) => (body += d.toString()));
            res.on('end', () =>
              resolve({ status: res.statusCode!, worker: Number(res.headers['x-mychat-worker']), body }),
            );
          },
        );
        req.on('error', reject);
        req.end(
          JSON.stringify({
            email: frank.email,
            password: 'wrong-password-1',
            device: { clientType: 'pc', deviceId: 'x', name: 'x' },
          }),
        );
      });
    const tries = [];
    for (let i = 0; i < 11; i++) tries.push(await attempt());
    expect(new Set(tries.map((t) => t.worker))).toEqual(new Set([1, 2]));
    // Ten wrong passwords (each refused as such), wherever they landed; the eleventh is over the window.
    expect(tries.slice(0, 10).map((t) => t.status)).toEqual(Array(10).fill(401));
    expect(tries[10]!.status).toBe(429);
    expect(tries[10]!.body).toContain('too many logins from this network');
  });

  it('keeps a user online while any of their sockets is, on whichever worker', async () => {
    const [gina, hal] = [await signUpOver(s), await signUpOver(s)];
    await befriend(gina, hal);
    const ginaSock = await authedOn(1, gina.token);
    const halPc = await authedOn(1, hal.token);
    const halPhone = await authedOn(2, (await login(hal, 'ios', 'hal-phone')).token);
    const online = await ginaSock.next(
      (f) => f.body.case === 'presence' && f.body.value.userId === hal.userId,
    );
    expect(online.frame.body.value).toMatchObject({ online: true });
    halPc.ws.close();
    await sleep(700); // well past the 200 ms debounce: still online through the phone on worker 2
    expect(ginaSock.all.filter((r) => r.frame.body.case === 'presence')).toHaveLength(1);
    halPhone.ws.close();
    const offline = await ginaSock.next(
      (f) => f.body.case === 'presence' && f.body.value.userId === hal.userId,
      5_000,
    );
    expect(offline.frame.body.value).toMatchObject({ online: false });
    ginaSock.ws.close();
  });

  it('serves /metrics summed over every worker, to allowed readers only, and /readyz from each', async () => {
    const ivy = await signUpOver(s);
    const openNow = async () => {
      const text = await (await fetch(`${s.baseUrl}/metrics`)).text();
      return Number(/^mychat_ws_connections\{state="open"\} (\d+)$/m.exec(text)?.[1]);
    };
    const before = await openNow();
    const socks = [await authedOn(1, ivy.token), await authedOn(2, ivy.token)];
    expect(await openNow()).toBe(before + 2);
    for (const x of socks) x.ws.close();
    const proxied = await fetch(`${s.baseUrl}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(proxied.status).toBe(404);
    const ready = new Set<number>();
    for (let i = 0; i < 6; i++) ready.add(await workerOf(`${s.baseUrl}/readyz`));
    expect(ready).toEqual(new Set([1, 2]));
  });

  it('replaces a worker that dies; its clients reconnect through a worker and sync, nothing lost', async () => {
    const [jo, kim] = [await signUpOver(s), await signUpOver(s)];
    const conv = await befriend(jo, kim);
    const joSock = await authedOn(1, jo.token);
    const kimSock = await authedOn(2, kim.token);
    const [victim] = s.workerPids();
    process.kill(victim!, 'SIGKILL');
    const lost = await Promise.race([
      joSock.closed.then(() => 'jo' as const),
      kimSock.closed.then(() => 'kim' as const),
    ]);
    const [survivor, survivorConv] = lost === 'jo' ? [kimSock, conv] : [joSock, conv];
    const ack = await send(survivor, survivorConv, 'while-away', 'sent while you reconnected');
    expect(ack.body.case).toBe('sendAck');
    // The dropped client comes back (on whichever worker takes it) and syncs.
    const back = await s.socket();
    back.send({
      requestId: 1,
      body: { case: 'auth', value: { accessToken: lost === 'jo' ? jo.token : kim.token } },
    });
    await back.next(is('authOk'));
    const sync = await ask(back, { case: 'sync', value: { sincePts: 0 } } as never);
    expect(sync.body.case === 'sync' && sync.body.value.heads).toContainEqual(
      expect.objectContaining({ conversationId: conv, lastSeq: 2 }),
    );
    const history = await ask(back, {
      case: 'history',
      value: { conversationId: conv, afterSeq: 0 },
    } as never);
    // The "You are now friends" line, then the message.
    expect(history.body.case === 'history' && history.body.value.messages.map((m) => m.seq)).toEqual([1, 2]);
    // A new worker takes the dead one's place.
    await expect.poll(() => s.workerPids().length, { timeout: 15_000 }).toBe(2);
    await expect.poll(() => s.workerPids().includes(victim!), { timeout: 5_000 }).toBe(false);
    back.ws.close();
    survivor.ws.close();
  }, 60_000);
});

describe('socket workers on a graceful stop', () => {
  it('drain every worker (clients told to reconnect), then the primary stops', async () => {
    const s = await startWorkersServer(2, { MYCHAT_WS_DRAIN_TIMEOUT_MS: '1000' });
    onTestFinished(() => s.server.kill()); // whatever happens below, nothing is left running
    const kai = await signUpOver(s);
    const socks: Socket[] = [];
    for (const worker of [1, 2]) {
      const sock = await s.socketOn(worker);
      sock.send({ requestId: 1, body: { case: 'auth', value: { accessToken: kai.token } } });
      await sock.next(is('authOk'));
      socks.push(sock);
    }
    const workers = s.workerPids();
    expect(workers).toHaveLength(2);
    await s.stop();
    for (const sock of socks) {
      await sock.next(is('reconnect'));
      expect((await sock.closed).code).toBe(WsClose.SERVICE_RESTART);
    }
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
    expect(s.server.exitCode).toBe(0);
  }, 60_000);
});
