import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';
import { closedWithin, connect, connectAuthed, is, newUser } from './ws.test-helpers.js';

const reasonOf = (f: { body: { case?: string; value?: unknown } }) =>
  f.body.case === 'error' ? (f.body.value as { reason: string }).reason : undefined;

/** beforeHandleMessage: what the gateway does with each kind of frame. */
describe('ws frames', () => {
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    server = await startTestServer();
    ({ token } = await newUser(server));
  });
  afterAll(() => server?.stop());

  it('answers ping with pong, echoing the request id and client time', async () => {
    const s = await connectAuthed(server, token);
    s.send({ requestId: 42, body: { case: 'ping', value: { clientTimeMs: 1234.5 } } });
    const { frame } = await s.next(is('pong'));
    expect(frame.requestId).toBe(42);
    const pong = frame.body.value as { clientTimeMs: number; serverTimeMs: number };
    expect(pong.clientTimeMs).toBe(1234.5);
    expect(Math.abs(pong.serverTimeMs - Date.now())).toBeLessThan(5_000);
    s.ws.close();
  });

  it('closes 4400 with MALFORMED_FRAME on an undecodable binary frame', async () => {
    const s = await connectAuthed(server, token);
    s.ws.send(Buffer.from([0x0a, 0x05, 0x01])); // a length-delimited field cut short
    const { frame } = await s.next(is('error'));
    expect(reasonOf(frame)).toBe('MALFORMED_FRAME');
    expect((await s.closed).code).toBe(4400);
  });

  it('closes 4400 with MALFORMED_FRAME on a text frame that is not ClientFrame JSON', async () => {
    const s = await connectAuthed(server, token, 'text');
    s.ws.send('{"requestId": "not a number"');
    const r = await s.next(is('error'));
    expect(r.text).toBe(true);
    expect(reasonOf(r.frame)).toBe('MALFORMED_FRAME');
    expect((await s.closed).code).toBe(4400);
  });

  it('answers a frame type it does not know with UNKNOWN_FRAME and keeps the socket', async () => {
    const s = await connectAuthed(server, token);
    // request_id = 5, then field 99 (varint 1): a body case from a newer client.
    s.ws.send(Buffer.from([0x08, 0x05, 0x98, 0x06, 0x01]));
    const { frame } = await s.next(is('error'));
    expect(frame.requestId).toBe(5);
    expect(reasonOf(frame)).toBe('UNKNOWN_FRAME');
    s.send({ requestId: 6, body: { case: 'ping', value: {} } });
    expect((await s.next(is('pong'))).frame.requestId).toBe(6);
    expect(await closedWithin(s, 50)).toBeUndefined();
    s.ws.close();
  });

  it('treats an unknown JSON field the same way (UNKNOWN_FRAME, socket stays)', async () => {
    const s = await connectAuthed(server, token, 'text');
    s.ws.send(JSON.stringify({ requestId: 8, futureThing: { x: 1 } }));
    const { frame } = await s.next(is('error'));
    expect([frame.requestId, reasonOf(frame)]).toEqual([8, 'UNKNOWN_FRAME']);
    s.send({ requestId: 9, body: { case: 'ping', value: {} } }, 'text');
    expect((await s.next(is('pong'))).frame.requestId).toBe(9);
    s.ws.close();
  });

  it('closes 1009 on a frame over maxFrameBytes', async () => {
    const s = await connectAuthed(server, token);
    s.ws.send(Buffer.alloc(server.app.config.ws.maxFrameBytes + 1));
    expect((await s.closed).code).toBe(1009);
  });

  it('closes 1009 on an oversized frame even before Auth', async () => {
    const s = await connect(server);
    s.ws.send(Buffer.alloc(server.app.config.ws.maxFrameBytes + 1));
    expect((await s.closed).code).toBe(1009);
  });

  it('answers send with a sendAck or an error, echoing the request id, and the socket survives', async () => {
    const s = await connectAuthed(server, token);
    s.send({
      requestId: 77,
      body: {
        case: 'send',
        value: {
          conversationId: 'c-nope',
          clientMsgId: 'm-1',
          content: { body: { case: 'text', value: { text: 'hi' } } },
        },
      },
    });
    const { frame } = await s.next((f) => f.requestId === 77);
    expect(['sendAck', 'error']).toContain(frame.body.case);
    s.send({ requestId: 78, body: { case: 'ping', value: {} } });
    expect((await s.next(is('pong'))).frame.requestId).toBe(78);
    s.ws.close();
  });

  it('answers nothing to delivered, read and typing with request id 0, not even an error', async () => {
    const s = await connectAuthed(server, token);
    const bad = { conversationId: 'c-nope', seq: 1 }; // refused: not a conversation id
    s.send({ requestId: 0, body: { case: 'delivered', value: bad } });
    s.send({ requestId: 0, body: { case: 'read', value: bad } });
    s.send({ requestId: 0, body: { case: 'typing', value: { conversationId: 'c-nope' } } });
    s.send({ requestId: 11, body: { case: 'delivered', value: bad } });
    // The same request with an id is answered; the quiet ones before it are not.
    const { frame } = await s.next();
    expect([frame.requestId, reasonOf(frame)]).toEqual([11, 'INVALID_ARGUMENT']);
    s.send({ requestId: 12, body: { case: 'ping', value: {} } });
    expect((await s.next()).frame).toMatchObject({ requestId: 12, body: { case: 'pong' } });
    s.ws.close();
  });

  it('handles frames pipelined right behind the Auth frame, after AuthOk', async () => {
    const s = await connect(server);
    s.send({ requestId: 1, body: { case: 'auth', value: { accessToken: token } } });
    s.send({ requestId: 2, body: { case: 'ping', value: {} } });
    expect((await s.next()).frame.body.case).toBe('authOk');
    expect((await s.next()).frame.requestId).toBe(2);
    s.ws.close();
  });
});
