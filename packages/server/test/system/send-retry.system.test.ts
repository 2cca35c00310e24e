import { create } from '@bufbuild/protobuf';
import { auth, message as pb } from '@mychat/protocol';
import { MyChatClient } from '@mychat/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { bearer, PASSWORD, signUp, type AuthClient } from '../helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * A send whose first attempt is slow (queued behind the database) must not be worked on
 * twice: the SDK does not send it again on the same socket, and the server answers a
 * retry that arrives meanwhile from the first attempt instead of queueing it again.
 */
describe('retrying a send while its first attempt is in flight', () => {
  let server: TestServer;
  let api: AuthClient;
  const clients: MyChatClient[] = [];

  beforeAll(async () => {
    // A burst of one send per second: a retry that did the work again would be refused.
    server = await startTestServer({ overrides: { message: { sendBurst: 1, sendRatePerSecond: 1 } } });
    api = server.client(auth.AuthService);
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await server?.stop();
  });

  /** Holds the server's database until the returned function is called (sends queue behind it). */
  async function holdDatabase(): Promise<() => Promise<void>> {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let held!: () => void;
    const holding = new Promise<void>((r) => (held = r));
    const tx = server.app
      .value('sql')
      .db.transaction()
      .execute(async () => {
        held();
        await gate;
      });
    await holding;
    return async () => {
      release();
      await tx;
    };
  }

  async function friends() {
    const [a, b] = [await signUp(server, api), await signUp(server, api)];
    const { conversationId } = await server.app.value('rpc').client(pb.MessageInternalService).applyDirect({
      userA: a.session.user!.id,
      userB: b.session.user!.id,
      aCanSend: true,
      bCanSend: true,
    });
    return { a, b, conv: conversationId };
  }

  const sendFrames = async () => {
    const text = await server.app.value('metrics').metrics();
    return Number(/^mychat_ws_frames_in_total\{type="send"\} (\d+)/m.exec(text)?.[1] ?? 0);
  };

  it('the server answers a retry from the attempt in flight (no second send is worked on)', async () => {
    const { a, conv } = await friends();
    const msgs = server.client(pb.MessageService);
    const req = {
      conversationId: conv,
      clientMsgId: 'slow-first-1',
      content: create(pb.MessageContentSchema, { body: { case: 'text', value: { text: 'hello' } } }),
    };
    const release = await holdDatabase();
    const first = msgs.sendMessage(req, bearer(a.session.accessToken));
    const retry = msgs.sendMessage(req, bearer(a.session.accessToken));
    await new Promise((r) => setTimeout(r, 100)); // both calls reach the service
    await release();
    const [r1, r2] = await Promise.all([first, retry]);
    expect(r1.duplicate).toBe(false);
    expect(r2.duplicate).toBe(true);
    expect(r2.message?.seq).toBe(r1.message?.seq);
    expect(r2.message?.id).toBe(r1.message?.id);
  });

  it('the SDK waits for a late ack on the live socket instead of sending again', async () => {
    const { a, conv } = await friends();
    const client = new MyChatClient({
      baseUrl: server.baseUrl,
      device: { clientType: 'pc', deviceId: 'retry-pc', name: 'vitest' },
      WebSocket: WebSocket as never,
      ackTimeoutMs: 100,
      autoMarkDelivered: false,
    });
    clients.push(client);
    await client.auth.login({ to: { email: a.email }, password: PASSWORD });
    await client.connect();
    const before = await sendFrames();
    const release = await holdDatabase();
    const sent = client.messages.sendText(conv, 'late but once');
    // Many ack timeouts (and backoffs) long: the old client had sent the message again by now.
    await new Promise((r) => setTimeout(r, 1_500));
    await release();
    const m = await sent;
    expect(m.seq).toBeGreaterThan(0);
    expect((await sendFrames()) - before).toBe(1);
  });
});
