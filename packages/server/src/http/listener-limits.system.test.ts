import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAuthed, is, newUser, sleep } from '../gateway/ws/ws.test-helpers.js';
import { startTestServer, type TestServer } from '../../test/helpers/test-server.js';

/**
 * The short header deadline of the public listener must not touch what legitimately stays
 * open: an authenticated WebSocket that says nothing for longer than the deadline.
 */
describe('public listener deadlines on a whole server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ overrides: { http: { port: 0, headersTimeoutMs: 200 } } });
  });
  afterAll(() => server?.stop());

  it('keeps a quiet WebSocket open well past the header deadline', async () => {
    const user = await newUser(server);
    const s = await connectAuthed(server, user.token);
    await sleep(1_000);
    s.send({ body: { case: 'ping', value: {} } });
    expect((await s.next(is('pong'))).frame.body.case).toBe('pong');
    s.ws.close();
  });
});
