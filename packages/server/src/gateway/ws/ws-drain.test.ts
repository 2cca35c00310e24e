import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../../../test/helpers/test-server.js';
import { connect, connectAuthed, is, newUser } from './ws.test-helpers.js';

/** Shutdown: clients are told to reconnect elsewhere, then closed 1012; stragglers are cut. */
describe('ws drain on stop', () => {
  it('sends every socket Reconnect{afterMs in 0..2000} and closes it with 1012', async () => {
    const server = await startTestServer();
    const a = await newUser(server);
    const b = await newUser(server);
    const sa = await connectAuthed(server, a.token);
    const sb = await connectAuthed(server, b.token, 'text');
    const pending = await connect(server);
    const stopped = server.stop();
    for (const s of [sa, sb]) {
      const { frame } = await s.next(is('reconnect'));
      const afterMs = (frame.body.value as { afterMs: number }).afterMs;
      expect(afterMs).toBeGreaterThanOrEqual(0);
      expect(afterMs).toBeLessThan(2_000);
      expect((await s.closed).code).toBe(1012);
    }
    expect((await pending.closed).code).toBe(1012);
    await stopped;
  });

  it('cuts sockets that do not finish closing within drainTimeoutMs', async () => {
    const server = await startTestServer({ overrides: { ws: { drainTimeoutMs: 300 } } });
    const u = await newUser(server);
    const s = await connectAuthed(server, u.token);
    (s.ws as unknown as { _socket: Socket })._socket.pause(); // never answers the close
    // Without the cut, stop() waits for a close handshake that never comes and the test times
    // out; the time it does take is not asserted from above (load decides it), only from below.
    const started = Date.now();
    await server.stop();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  }, 60_000);
});
