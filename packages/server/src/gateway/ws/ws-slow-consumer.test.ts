import { create } from '@bufbuild/protobuf';
import { gateway } from '@mychat/protocol';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushToUsers } from '../../contracts/push-envelope.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';
import { connectAuthed, is, newUser, sleep } from './ws.test-helpers.js';

const bigFrame = (n: number) =>
  create(gateway.ServerFrameSchema, {
    body: {
      case: 'message',
      value: {
        conversationId: `c${n}`,
        content: { body: { case: 'text', value: { text: 'x'.repeat(60_000) } } },
      },
    },
  });

/** Slow consumers: a socket that does not read is closed 4429; nobody else notices. */
describe('ws slow consumer', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ overrides: { ws: { maxQueuedBytes: 64 * 1024 } } });
  });
  afterAll(() => server?.stop());

  const closes4429 = async () => {
    const m = await server.app.value('metrics').getSingleMetric('mychat_ws_closes_total')!.get();
    return m.values.find((v) => v.labels.code === '4429')?.value ?? 0;
  };

  it('closes a socket whose outbound queue overflows with 4429, while another user still receives', async () => {
    const slow = await newUser(server);
    const fast = await newUser(server);
    const s = await connectAuthed(server, slow.token);
    const f = await connectAuthed(server, fast.token);
    // Stop reading: the kernel buffers fill, then the server's queue grows.
    const raw = (s.ws as unknown as { _socket: Socket })._socket;
    raw.pause();
    const bus = server.app.value('bus');
    for (let i = 0; i < 400; i++) {
      await pushToUsers(bus, [slow.userId], bigFrame(i));
      if (i % 20 === 19) await sleep(5);
    }
    // Meanwhile another user's push still arrives promptly.
    await pushToUsers(
      bus,
      [fast.userId],
      create(gateway.ServerFrameSchema, { body: { case: 'typing', value: { conversationId: 'ok' } } }),
    );
    expect((await f.next(is('typing'))).frame.body.value).toMatchObject({ conversationId: 'ok' });
    // Reading again, the slow client drains what was queued and then finds the close frame.
    raw.resume();
    expect((await s.closed).code).toBe(4429);
    await expect.poll(closes4429).toBeGreaterThanOrEqual(1);
    f.send({ requestId: 2, body: { case: 'ping', value: {} } });
    expect((await f.next(is('pong'))).frame.requestId).toBe(2);
    f.ws.close();
  });
});
