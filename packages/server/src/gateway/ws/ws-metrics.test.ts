import { create } from '@bufbuild/protobuf';
import { gateway } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushToUsers } from '../../contracts/push-envelope.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';
import { connect, connectAuthed, is, newUser } from './ws.test-helpers.js';

/** What operators see on /metrics. */
describe('ws metrics', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  const scrape = async () => (await fetch(`${server.baseUrl}/metrics`)).text();

  it('counts connections by state, frames by type, pushes and closes by code', async () => {
    const u = await newUser(server);
    const s = await connectAuthed(server, u.token);
    const pending = await connect(server);
    s.send({ requestId: 1, body: { case: 'ping', value: {} } });
    await s.next(is('pong'));
    await pushToUsers(
      server.app.value('bus'),
      [u.userId],
      create(gateway.ServerFrameSchema, { body: { case: 'typing', value: {} } }),
    );
    await s.next(is('typing'));
    let text = await scrape();
    expect(text).toMatch(/mychat_ws_connections\{state="open"\} 1\b/);
    expect(text).toMatch(/mychat_ws_connections\{state="pending"\} 1\b/);
    expect(text).toMatch(/mychat_ws_frames_in_total\{type="auth"\} 1\b/);
    expect(text).toMatch(/mychat_ws_frames_in_total\{type="ping"\} 1\b/);
    expect(text).toMatch(/mychat_ws_frames_out_total\{type="authOk"\} 1\b/);
    expect(text).toMatch(/mychat_ws_frames_out_total\{type="typing"\} 1\b/);
    expect(text).toMatch(/mychat_ws_push_fanout_total 1\b/);
    s.ws.close(1000);
    pending.ws.close(1000);
    await Promise.all([s.closed, pending.closed]);
    await expect.poll(scrape).toMatch(/mychat_ws_closes_total\{code="1000"\} 2\b/);
    text = await scrape();
    expect(text).toMatch(/mychat_ws_connections\{state="open"\} 0\b/);
  });

  it('never logs access tokens', () => {
    expect(server.logs.length).toBeGreaterThan(0);
    const token = server.logs.find((l) => /eyJ[\w-]{10,}\.[\w-]{10,}\./.test(l));
    expect(token).toBeUndefined();
  });
});
