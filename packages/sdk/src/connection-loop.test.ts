import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { gateway } from '@mychat/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionLoop, type LoopHooks } from './connection-loop.js';
import { MyChatError } from './errors.js';
import type { ConnectionState } from './types.js';

type Body = MessageInitShape<typeof gateway.ServerFrameSchema>['body'];

/** A scripted server end of a WebSocket with the browser API. */
class FakeSocket {
  static all: FakeSocket[] = [];
  static heartbeatMs = 10_000;
  static answerPings = true;
  static refuse = (_token: string) => false;
  /** Set: AuthOk says the token expires this long after the server's now (0: never). */
  static tokenLifeMs = 0;
  binaryType = '';
  readyState = 0;
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  readonly frames: gateway.ClientFrame[] = [];
  readonly openedAt = Date.now();

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
    setTimeout(() => {
      if (this.readyState !== 0) return;
      this.readyState = 1;
      this.onopen?.();
    }, 1);
  }
  send(data: Uint8Array) {
    const f = fromBinary(gateway.ClientFrameSchema, data);
    this.frames.push(f);
    if (f.body.case === 'auth') {
      if (FakeSocket.refuse(f.body.value.accessToken)) return this.drop(4401, 'unauthenticated');
      const now = Date.now();
      const expiresAtMs = FakeSocket.tokenLifeMs ? now + FakeSocket.tokenLifeMs : 0;
      this.push(
        {
          case: 'authOk',
          value: {
            userId: 'u1',
            heartbeatIntervalMs: FakeSocket.heartbeatMs,
            serverTimeMs: now,
            expiresAtMs,
          },
        },
        f.requestId,
      );
    }
    if (f.body.case === 'ping' && FakeSocket.answerPings) this.push({ case: 'pong', value: {} }, f.requestId);
  }
  close(code = 1000, reason = '') {
    if (this.readyState === 3) return;
    this.readyState = 3;
    setTimeout(() => this.onclose?.({ code, reason }), 0);
  }
  /** Server side: a frame to the client. */
  push(body: Body, requestId = 0) {
    const bytes = toBinary(gateway.ServerFrameSchema, create(gateway.ServerFrameSchema, { requestId, body }));
    setTimeout(() => this.onmessage?.({ data: bytes.slice().buffer }), 0);
  }
  /** Server side: closes with a code. */
  drop(code: number, reason = '') {
    this.readyState = 3;
    setTimeout(() => this.onclose?.({ code, reason }), 0);
  }
}

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 2000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await tick(2);
  }
}

function setup(token: (refresh: boolean) => Promise<string> = async () => 'good') {
  const states: [ConnectionState, string][] = [];
  const kicked: string[] = [];
  const refreshes: boolean[] = [];
  const hooks: LoopHooks = {
    token: (refresh) => {
      refreshes.push(refresh);
      return token(refresh);
    },
    synced: async () => undefined,
    push: () => undefined,
    state: (s, r) => states.push([s, r]),
    kicked: (r) => kicked.push(r),
  };
  const loop = new ConnectionLoop(
    {
      url: 'ws://test/ws',
      WebSocket: async () => FakeSocket,
      backoff: { baseMs: 20, capMs: 200, random: () => 0 },
    },
    hooks,
  );
  const names = () => states.map(([s]) => s);
  return { loop, states, names, kicked, refreshes };
}

describe('ConnectionLoop', () => {
  let current: ConnectionLoop | undefined;
  afterEach(() => {
    current?.stop('test over');
    FakeSocket.all = [];
    FakeSocket.heartbeatMs = 10_000;
    FakeSocket.answerPings = true;
    FakeSocket.refuse = () => false;
    FakeSocket.tokenLifeMs = 0;
  });

  const auths = (sock: FakeSocket) =>
    sock.frames.flatMap((f) => (f.body.case === 'auth' ? [f.body.value.accessToken] : []));

  it('sends a fresh token on the live socket before its token expires (at half a short life), and stays live', async () => {
    FakeSocket.tokenLifeMs = 2_400; // renewal due at half its life: 1.2 s after auth_ok
    const t = setup(async (refresh) => (refresh ? 'fresh' : 'good'));
    current = t.loop;
    t.loop.start();
    await until(() => t.loop.state === 'live');
    await tick(600);
    expect(auths(FakeSocket.all[0]!)).toEqual(['good']);
    await until(() => auths(FakeSocket.all[0]!).length === 2, 3_000);
    // The token at hand was the one the socket already had: a refreshed one is sent.
    expect(auths(FakeSocket.all[0]!)).toEqual(['good', 'fresh']);
    expect(t.refreshes).toEqual([false, false, true]);
    expect(FakeSocket.all).toHaveLength(1);
    expect(t.loop.state).toBe('live');
  });

  it('renews nothing when the server says the socket does not expire', async () => {
    const t = setup();
    current = t.loop;
    t.loop.start();
    await until(() => t.loop.state === 'live');
    await tick(1_500);
    expect(auths(FakeSocket.all[0]!)).toEqual(['good']);
    expect(t.refreshes).toEqual([false]);
  });

  it('goes connecting → authenticating → syncing → live, authenticating with the first frame', async () => {
    const t = setup();
    current = t.loop;
    t.loop.start();
    await until(() => t.loop.state === 'live');
    expect(t.names()).toEqual(['connecting', 'authenticating', 'syncing', 'live']);
    expect(FakeSocket.all[0]!.frames[0]!.body).toMatchObject({
      case: 'auth',
      value: { accessToken: 'good' },
    });
    expect(t.loop.live).toBeDefined();
  });

  it('reconnects after a server restart (1012) and after a dead link (no pong)', async () => {
    const t = setup();
    current = t.loop;
    t.loop.start();
    await until(() => t.loop.state === 'live');
    FakeSocket.all[0]!.drop(1012, 'restart');
    await until(() => FakeSocket.all.length === 2 && t.loop.state === 'live');
    expect(t.names()).toContain('reconnecting');

    FakeSocket.heartbeatMs = 15;
    FakeSocket.answerPings = false;
    FakeSocket.all[1]!.drop(1012);
    await until(() => FakeSocket.all.length === 3 && t.loop.state === 'live');
    // Pings go out every 15 ms; with no pong the client gives up on its own within ~2 intervals.
    await until(() => FakeSocket.all.length === 4, 1000);
    expect(FakeSocket.all[2]!.frames.some((f) => f.body.case === 'ping')).toBe(true);
    expect(t.states.some(([s, r]) => s === 'reconnecting' && r.includes('4000'))).toBe(true);
  });

  it('on 4409 (kicked) stops for good and says why', async () => {
    const t = setup();
    current = t.loop;
    t.loop.start();
    await until(() => t.loop.state === 'live');
    FakeSocket.all[0]!.push({ case: 'sessionEnded', value: { reason: 'kicked' } });
    await tick();
    FakeSocket.all[0]!.drop(4409, 'kicked');
    await until(() => t.loop.state === 'stopped');
    await tick(100);
    expect(FakeSocket.all).toHaveLength(1);
    expect(t.kicked).toEqual(['kicked']);
    expect(t.states.at(-1)).toEqual(['stopped', 'kicked']);
  });

  it('on 4401 refreshes the token once and retries; a second refusal stops', async () => {
    FakeSocket.refuse = (token) => token === 'stale';
    const t = setup(async (refresh) => (refresh ? 'fresh' : 'stale'));
    current = t.loop;
    t.loop.start();
    await until(() => t.loop.state === 'live');
    expect(t.refreshes).toEqual([false, true]);
    expect(FakeSocket.all).toHaveLength(2);

    FakeSocket.refuse = () => true;
    FakeSocket.all[1]!.drop(1012);
    await until(() => t.loop.state === 'stopped');
    expect(t.refreshes).toEqual([false, true, false, true]);
    expect(t.kicked).toHaveLength(1);
  });

  it('stops without reconnecting when the session cannot be refreshed', async () => {
    const t = setup(async (refresh) => {
      if (refresh) throw new MyChatError('revoked', 'SESSION_REVOKED');
      return 'stale';
    });
    FakeSocket.refuse = () => true;
    current = t.loop;
    t.loop.start();
    await until(() => t.loop.state === 'stopped');
    await tick(60);
    expect(FakeSocket.all).toHaveLength(1);
    expect(t.kicked).toEqual(['session_revoked']);
  });

  it('a network failure while refreshing is transient: it keeps trying', async () => {
    let fail = true;
    const t = setup(async (refresh) => {
      if (refresh && fail) throw new MyChatError('offline', 'NETWORK');
      return refresh ? 'fresh' : 'stale';
    });
    FakeSocket.refuse = (token) => token === 'stale';
    current = t.loop;
    t.loop.start();
    await until(() => t.states.some(([s]) => s === 'reconnecting'));
    fail = false;
    await until(() => t.loop.state === 'live');
    expect(t.kicked).toEqual([]);
  });

  it('honours reconnect{afterMs} from a draining server', async () => {
    const t = setup();
    current = t.loop;
    t.loop.start();
    await until(() => t.loop.state === 'live');
    const asked = Date.now();
    FakeSocket.all[0]!.push({ case: 'reconnect', value: { afterMs: 120 } });
    await until(() => FakeSocket.all.length === 2, 1000);
    expect(FakeSocket.all[1]!.openedAt - asked).toBeGreaterThanOrEqual(115);
    expect(t.states.some(([s, r]) => s === 'reconnecting' && r.startsWith('server draining'))).toBe(true);
  });

  it('backs off exponentially while the server is unreachable, and close() ends it', async () => {
    const t = setup();
    current = t.loop;
    const Refusing = class extends FakeSocket {
      constructor(url: string) {
        super(url);
        this.readyState = 3;
        setTimeout(() => this.onclose?.({ code: 1006, reason: '' }), 0);
      }
    };
    const loop = new ConnectionLoop(
      {
        url: 'ws://x/ws',
        WebSocket: async () => Refusing,
        backoff: { baseMs: 20, capMs: 80, random: () => 0 },
      },
      {
        token: async () => 't',
        synced: async () => undefined,
        push: () => undefined,
        state: (s, r) => t.states.push([s, r]),
        kicked: () => undefined,
      },
    );
    current = loop;
    loop.start();
    await until(() => t.states.filter(([s]) => s === 'reconnecting').length >= 4, 3000);
    const delays = t.states
      .filter(([s]) => s === 'reconnecting')
      .map(([, r]) => Number(/retrying in (\d+) ms/.exec(r)![1]));
    expect(delays.slice(0, 4)).toEqual([10, 20, 40, 40]);
    loop.stop('bye');
    const n = FakeSocket.all.length;
    await tick(150);
    expect(FakeSocket.all.length).toBe(n);
    expect(loop.state).toBe('stopped');
  });
});
