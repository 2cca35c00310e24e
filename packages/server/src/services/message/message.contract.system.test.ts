import { create } from '@bufbuild/protobuf';
import { auth, common, message as pb } from '@mychat/protocol';
import { fromBinary } from '@bufbuild/protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectReason, signUp } from '../../../test/helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';
import { errorInfoOf } from '../../kernel/errors.js';

/**
 * Statements of docs/protocol.md (sections 4.2 and 4.3) checked as a client written from it
 * sees them: resends under a reused client_msg_id, GetHistory's JSON `afterSeq` omitted vs 0,
 * and its limit.
 */
const text = (t: string) => create(pb.MessageContentSchema, { body: { case: 'text', value: { text: t } } });

describe('message contract as documented', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ overrides: { message: { sendBurst: 1000, sendRatePerSecond: 1000 } } });
  });
  afterAll(() => server?.stop());

  async function chat() {
    const api = server.client(auth.AuthService);
    const [a, b] = [await signUp(server, api), await signUp(server, api)];
    const { conversationId } = await server.app
      .value('rpc')
      .client(pb.MessageInternalService)
      .applyDirect({ userA: a.session.user!.id, userB: b.session.user!.id, aCanSend: true, bCanSend: true });
    return {
      conversationId,
      ha: bearer(a.session.accessToken),
      hb: bearer(b.session.accessToken),
      token: a.session.accessToken,
    };
  }
  const msg = () => server.client(pb.MessageService);

  it('a resend with the same client_msg_id and text is the stored message; different text is refused, not swallowed', async () => {
    const { conversationId, ha } = await chat();
    const first = await msg().sendMessage(
      { conversationId, clientMsgId: 'cm-1', content: text('hello') },
      ha,
    );
    const again = await msg().sendMessage(
      { conversationId, clientMsgId: 'cm-1', content: text('hello') },
      ha,
    );
    expect(again).toMatchObject({
      duplicate: true,
      message: { seq: first.message!.seq, id: first.message!.id },
    });

    const err = await expectReason(
      msg().sendMessage({ conversationId, clientMsgId: 'cm-1', content: text('a different message') }, ha),
      'INVALID_ARGUMENT',
    );
    expect(errorInfoOf(err)?.field).toBe('clientMsgId');
    const h = await msg().getHistory({ conversationId, afterSeq: 0 }, ha);
    expect(h.messages.map((m) => m.content?.body.value)).toEqual([
      expect.objectContaining({ text: 'hello' }),
    ]);

    // A recalled message has no text left to compare: a resend gets it back, recalled.
    await msg().recallMessage({ conversationId, seq: first.message!.seq }, ha);
    const late = await msg().sendMessage({ conversationId, clientMsgId: 'cm-1', content: text('hello') }, ha);
    expect(late).toMatchObject({ duplicate: true, message: { seq: first.message!.seq, recalled: true } });
  });

  it('over the WebSocket too: NUL in text and a reused client_msg_id with other text are refused', async () => {
    const { conversationId, ha, token } = await chat();
    const { connectAuthed } = await import('../../gateway/ws/ws.test-helpers.js');
    const socket = await connectAuthed(server, token);
    try {
      const sendFrame = (requestId: number, clientMsgId: string, t: string) => {
        socket.send({
          requestId,
          body: { case: 'send', value: { conversationId, clientMsgId, content: text(t) } },
        });
        return socket.next((f) => f.requestId === requestId);
      };
      const nul = (await sendFrame(2, 'ws-nul', 'a\0b')).frame.body;
      expect(nul).toMatchObject({ case: 'error', value: { reason: 'INVALID_ARGUMENT' } });
      expect((await sendFrame(3, 'ws-1', 'first')).frame.body.case).toBe('sendAck');
      const reused = (await sendFrame(4, 'ws-1', 'second')).frame.body;
      expect(reused).toMatchObject({ case: 'error', value: { reason: 'INVALID_ARGUMENT' } });
      const h = await msg().getHistory({ conversationId, afterSeq: 0 }, ha);
      expect(h.messages.map((m) => m.content?.body.value)).toEqual([
        expect.objectContaining({ text: 'first' }),
      ]);
    } finally {
      socket.ws.close();
    }
  });

  it('GetHistory in JSON: afterSeq 0 reads forward from the start; afterSeq omitted reads back from the newest', async () => {
    const { conversationId, ha, token } = await chat();
    for (let i = 1; i <= 5; i++)
      await msg().sendMessage({ conversationId, clientMsgId: `h${i}`, content: text(`m${i}`) }, ha);
    const call = async (body: object) => {
      const res = await fetch(`${server.baseUrl}/mychat.message.v1.MessageService/GetHistory`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
      return (await res.json()) as { messages?: { seq: number }[]; hasMore?: boolean };
    };
    const forward = await call({ conversationId, afterSeq: 0, limit: 2 });
    expect(forward.messages?.map((m) => m.seq)).toEqual([1, 2]);
    expect(forward.hasMore).toBe(true);
    const back = await call({ conversationId, limit: 2 });
    expect(back.messages?.map((m) => m.seq)).toEqual([4, 5]);
    const before = await call({ conversationId, beforeSeq: 4, limit: 2 });
    expect(before.messages?.map((m) => m.seq)).toEqual([2, 3]);
  });

  it('GetHistory pages hold at most 200; a larger limit is INVALID_ARGUMENT, none means 50', async () => {
    const { conversationId, ha } = await chat();
    await msg().sendMessage({ conversationId, clientMsgId: 'l1', content: text('x') }, ha);
    for (const limit of [201, -1]) {
      const err = await expectReason(
        msg().getHistory({ conversationId, afterSeq: 0, limit }, ha),
        'INVALID_ARGUMENT',
      );
      expect(errorInfoOf(err)?.field).toBe('limit');
    }
    for (let i = 2; i <= 60; i++)
      await msg().sendMessage({ conversationId, clientMsgId: `l${i}`, content: text('x') }, ha);
    const page = await msg().getHistory({ conversationId, afterSeq: 0 }, ha);
    expect(page.messages).toHaveLength(50);
    expect(page.hasMore).toBe(true);
  });

  it('errors on a binary (protobuf) call come back as a JSON Connect error with ErrorInfo', async () => {
    const { token } = await chat();
    const res = await fetch(`${server.baseUrl}/mychat.message.v1.MessageService/GetHistory`, {
      method: 'POST',
      headers: { 'content-type': 'application/proto', authorization: `Bearer ${token}` },
      body: new Uint8Array([0x0a, 0x03, 0x61, 0x62, 0x63]), // conversationId "abc"
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as { code: string; details: { type: string; value: string }[] };
    expect(body.code).toBe('invalid_argument');
    const info = fromBinary(common.ErrorInfoSchema, Buffer.from(body.details[0]!.value, 'base64'));
    expect(info).toMatchObject({ reason: 'INVALID_ARGUMENT', field: 'conversationId' });
  });
});
