import type { gateway } from '@mychat/protocol';
import { message } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorInfoOf } from '../../kernel/errors.js';
import { bearer, expectReason } from '../../../test/helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';
import { connectAuthed, is, newUser, type TestSocket } from './ws.test-helpers.js';

const BURST = 20;

/** Sends `n` read frames (history, sync, ping in turn) and collects their answers. */
async function flood(s: TestSocket, n: number, firstId: number): Promise<gateway.ServerFrame[]> {
  for (let i = 0; i < n; i++) {
    const requestId = firstId + i;
    if (i % 3 === 0)
      s.send({ requestId, body: { case: 'history', value: { conversationId: '1', limit: 200 } } });
    else if (i % 3 === 1) s.send({ requestId, body: { case: 'sync', value: { sincePts: 0 } } });
    else s.send({ requestId, body: { case: 'ping', value: { clientTimeMs: 1 } } });
  }
  const answers: gateway.ServerFrame[] = [];
  for (let i = 0; i < n; i++) {
    const id = firstId + i;
    answers.push((await s.next((f) => f.requestId === id, 10_000)).frame);
  }
  return answers;
}

const limited = (answers: gateway.ServerFrame[]) =>
  answers.filter((f) => f.body.case === 'error' && f.body.value.reason === 'RATE_LIMITED');

/** onRequest: one account's reads come from one budget, whatever sockets they use. */
describe('ws per-user read budget', () => {
  let server: TestServer;

  beforeAll(async () => {
    // One read back per second: a flood is far faster, so what it gets is the burst.
    server = await startTestServer({ overrides: { ws: { readBurst: BURST, readRatePerSecond: 1 } } });
  });
  afterAll(() => server?.stop());

  it('answers a flood of history frames with RATE_LIMITED while another user still syncs', async () => {
    const attacker = await newUser(server);
    const other = await newUser(server);
    const a = await connectAuthed(server, attacker.token);
    const b = await connectAuthed(server, other.token);
    const answers = await flood(a, 3 * BURST, 100);
    const refused = limited(answers);
    expect(refused.length).toBeGreaterThan(0);
    for (const f of refused)
      expect((f.body.value as gateway.Error).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(answers.length - refused.length).toBeLessThan(3 * BURST);
    // The other user's budget is untouched.
    b.send({ requestId: 5, body: { case: 'sync', value: { sincePts: 0 } } });
    expect((await b.next((f) => f.requestId === 5)).frame.body.case).toBe('sync');
    // The attacker's socket stays open: refusing is enough.
    expect(a.ws.readyState).toBe(a.ws.OPEN);
    a.ws.close();
    b.ws.close();
  });

  it('shares one budget across all sockets of the user: more sockets buy no more reads', async () => {
    const u = await newUser(server);
    const sockets = [await connectAuthed(server, u.token), await connectAuthed(server, u.token)];
    // Each socket alone stays within the burst; together they go over it.
    const each = BURST - 2;
    const answers = (await Promise.all(sockets.map((s, i) => flood(s, each, 1000 * (i + 1))))).flat();
    expect(limited(answers).length).toBeGreaterThan(0);
    for (const s of sockets) s.ws.close();
  });

  it('charges Sync and GetHistory over HTTP to the same budget, and only the caller', async () => {
    const u = await newUser(server);
    const other = await newUser(server);
    const s = await connectAuthed(server, u.token);
    expect(limited(await flood(s, BURST + 10, 10)).length).toBeGreaterThan(0);
    const api = server.client(message.MessageService);
    const err = await expectReason(api.sync({ sincePts: 0 }, bearer(u.token)), 'RATE_LIMITED');
    expect(errorInfoOf(err)!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    await expectReason(api.getHistory({ conversationId: '1', limit: 10 }, bearer(u.token)), 'RATE_LIMITED');
    // Calls that are not reads are not refused for it.
    await expect(api.getPrivacy({}, bearer(u.token))).resolves.toBeDefined();
    await expect(api.sync({ sincePts: 0 }, bearer(other.token))).resolves.toBeDefined();
    s.ws.close();
  });

  it('spends HTTP reads from the budget the socket then finds empty', async () => {
    const u = await newUser(server);
    const api = server.client(message.MessageService);
    for (let i = 0; i < BURST + 10; i++)
      await api.sync({ sincePts: 0 }, bearer(u.token)).catch(() => undefined);
    const s = await connectAuthed(server, u.token);
    s.send({ requestId: 3, body: { case: 'ping', value: { clientTimeMs: 1 } } });
    const { frame } = await s.next(is('error'));
    expect(frame).toMatchObject({ requestId: 3, body: { value: { reason: 'RATE_LIMITED' } } });
    s.ws.close();
  });
});
