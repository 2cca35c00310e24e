import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { gateway } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';
import { is, newUser, wsUrl } from './ws.test-helpers.js';

const SHARE = 5;
const POOL = 2 * SHARE;

/**
 * Opens a socket from the loopback address `from` (all of 127/8 reaches this host, so two
 * addresses are two real sources, no forged header). Resolves with the socket once open,
 * or with the HTTP status that refused the upgrade.
 */
function openFrom(server: TestServer, from: string): Promise<WebSocket | number> {
  const ws = new WebSocket(wsUrl(server), { localAddress: from });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

/** onUpgrade: each client address gets a share of the pool of unauthenticated sockets. */
describe('ws pre-auth pool share per address', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      overrides: { ws: { maxPendingSocketsPerIp: SHARE, maxPendingSockets: POOL, authTimeoutMs: 60_000 } },
    });
  });
  afterAll(() => server?.stop());

  it('one address holding its whole share does not stop another address from connecting and authenticating', async () => {
    // The holder tries to take the whole pool: it gets its share, the rest is refused with 429.
    const tries: (WebSocket | number)[] = [];
    for (let i = 0; i < POOL; i++) tries.push(await openFrom(server, '127.0.0.1'));
    const held = tries.filter((t): t is WebSocket => t instanceof WebSocket);
    expect(held.length).toBe(SHARE);
    expect(tries.filter((t) => t === 429).length).toBe(POOL - SHARE);
    // ...while another source connects and authenticates.
    const { token } = await newUser(server);
    const other = await openFrom(server, '127.0.0.2');
    expect(other).toBeInstanceOf(WebSocket);
    const ws = other as WebSocket;
    const answer = new Promise<Buffer>((resolve) => ws.once('message', (d: Buffer) => resolve(d)));
    ws.send(
      toBinary(
        gateway.ClientFrameSchema,
        create(gateway.ClientFrameSchema, {
          requestId: 1,
          body: { case: 'auth', value: { accessToken: token } },
        }),
      ),
    );
    expect(is('authOk')(fromBinary(gateway.ServerFrameSchema, await answer))).toBe(true);
    ws.close();
    // A socket of the holder going away gives its address room again.
    held.pop()!.close();
    let again = await openFrom(server, '127.0.0.1');
    // The close may still be on its way to the server: ask until it has arrived.
    while (again === 429) {
      await new Promise((r) => setTimeout(r, 20));
      again = await openFrom(server, '127.0.0.1');
    }
    expect(again).toBeInstanceOf(WebSocket);
    (again as WebSocket).close();
    for (const s of held) s.close();
  });
});
