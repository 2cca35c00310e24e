import { create } from '@bufbuild/protobuf';
import { auth, message as pb } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectReason, signUp } from '../../../test/helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';

/** The recall refusal as a person reads it, for a window that is not a whole number of minutes. */
describe('recall window text', () => {
  let server: TestServer;
  let now = Date.now();
  beforeAll(async () => {
    server = await startTestServer({
      clock: { now: () => now },
      overrides: { message: { recallWindowSeconds: 2 } },
    });
  });
  afterAll(() => server?.stop());

  it('says "within 2 seconds" for a 2 s window, and recalls inside it', async () => {
    const api = server.client(auth.AuthService);
    const [a, b] = [await signUp(server, api), await signUp(server, api)];
    const { conversationId } = await server.app
      .value('rpc')
      .client(pb.MessageInternalService)
      .applyDirect({ userA: a.session.user!.id, userB: b.session.user!.id, aCanSend: true, bCanSend: true });
    const msg = server.client(pb.MessageService);
    const ha = bearer(a.session.accessToken);
    const text = (t: string) =>
      create(pb.MessageContentSchema, { body: { case: 'text', value: { text: t } } });
    const first = await msg.sendMessage({ conversationId, clientMsgId: 'r-1', content: text('one') }, ha);
    const second = await msg.sendMessage({ conversationId, clientMsgId: 'r-2', content: text('two') }, ha);
    now += 2_000; // exactly the window: still allowed
    await msg.recallMessage({ conversationId, seq: first.message!.seq }, ha);
    now += 1;
    const err = await expectReason(
      msg.recallMessage({ conversationId, seq: second.message!.seq }, ha),
      'RECALL_WINDOW_PASSED',
    );
    expect(err.rawMessage).toBe('messages can be recalled within 2 seconds');
  });
});
