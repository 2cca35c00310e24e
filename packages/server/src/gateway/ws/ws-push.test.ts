import { create } from '@bufbuild/protobuf';
import { gateway } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { device, PASSWORD } from '../../../test/helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';
import { pushToUsers, userChannel } from '../../contracts/push-envelope.js';
import { connectAuthed, is, newUser, sleep, type TestSocket } from './ws.test-helpers.js';

const typingFrame = (conversationId: string) =>
  create(gateway.ServerFrameSchema, { body: { case: 'typing', value: { conversationId, userId: 'u1' } } });

/** Push: bus messages on u:{id} reach every socket of that user here, except the causing session. */
describe('ws push delivery', () => {
  let server: TestServer;
  let alice: Awaited<ReturnType<typeof newUser>>;
  let bob: Awaited<ReturnType<typeof newUser>>;
  let aliceWeb: TestSocket;
  let alicePc: TestSocket & { authOk: gateway.AuthOk };
  let aliceText: TestSocket;
  let bobWeb: TestSocket;

  beforeAll(async () => {
    server = await startTestServer();
    alice = await newUser(server);
    bob = await newUser(server);
    const pc = await alice.api.login({
      destination: { case: 'email', value: alice.email },
      credential: { case: 'password', value: PASSWORD },
      device: device('pc', 'dev-2'),
    });
    const ios = await alice.api.login({
      destination: { case: 'email', value: alice.email },
      credential: { case: 'password', value: PASSWORD },
      device: device('ios', 'dev-3'),
    });
    aliceWeb = await connectAuthed(server, alice.token);
    alicePc = await connectAuthed(server, pc.session!.accessToken);
    aliceText = await connectAuthed(server, ios.session!.accessToken, 'text');
    bobWeb = await connectAuthed(server, bob.token);
  });
  afterAll(() => server?.stop());

  const bus = () => server.app.value('bus');

  it('delivers a pushed frame to every socket of the user, and only theirs', async () => {
    await pushToUsers(bus(), [alice.userId], typingFrame('conv-1'));
    for (const s of [aliceWeb, alicePc, aliceText]) {
      const { frame } = await s.next(is('typing'));
      expect(frame.body.value).toMatchObject({ conversationId: 'conv-1' });
      expect(frame.requestId).toBe(0);
    }
    await sleep(50);
    expect(bobWeb.all.some((r) => r.frame.body.case === 'typing')).toBe(false);
  });

  it('forwards the bytes as published to binary sockets and converts them for text sockets', async () => {
    const frame = typingFrame('conv-2');
    const { toBinary } = await import('@bufbuild/protobuf');
    const bytes = toBinary(gateway.ServerFrameSchema, frame);
    const raw = new Promise<Buffer>((resolve) => aliceWeb.ws.once('message', (d: Buffer) => resolve(d)));
    await bus().publish(
      userChannel(alice.userId),
      toBinary(gateway.PushEnvelopeSchema, create(gateway.PushEnvelopeSchema, { frame: bytes })),
    );
    expect(Buffer.compare(await raw, Buffer.from(bytes))).toBe(0);
    const text = await aliceText.next(
      (f) => f.body.case === 'typing' && f.body.value.conversationId === 'conv-2',
    );
    expect(text.text).toBe(true);
    await aliceWeb.next(is('typing'));
    await alicePc.next(is('typing'));
  });

  it('skips the socket of the excepted session', async () => {
    await pushToUsers(bus(), [alice.userId], typingFrame('conv-3'), alicePc.authOk.sessionId);
    await aliceWeb.next((f) => f.body.case === 'typing' && f.body.value.conversationId === 'conv-3');
    await aliceText.next((f) => f.body.case === 'typing' && f.body.value.conversationId === 'conv-3');
    await sleep(50);
    expect(
      alicePc.all.some(
        (r) => r.frame.body.case === 'typing' && r.frame.body.value.conversationId === 'conv-3',
      ),
    ).toBe(false);
  });

  it('ignores an undecodable envelope and keeps delivering', async () => {
    await bus().publish(userChannel(bob.userId), new Uint8Array([0xff, 0xff, 0xff]));
    await pushToUsers(bus(), [bob.userId], typingFrame('conv-4'));
    expect((await bobWeb.next(is('typing'))).frame.body.value).toMatchObject({ conversationId: 'conv-4' });
  });

  it('resubscribes when a user comes back after their last socket closed', async () => {
    bobWeb.ws.close();
    await bobWeb.closed;
    await sleep(30);
    bobWeb = await connectAuthed(server, bob.token);
    await pushToUsers(bus(), [bob.userId], typingFrame('conv-5'));
    expect((await bobWeb.next(is('typing'))).frame.body.value).toMatchObject({ conversationId: 'conv-5' });
  });
});
