import type { AddressInfo } from 'node:net';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { gateway } from '@mychat/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { MyChatError } from './errors.js';
import { WsConnection, type SocketClosedError } from './ws-connection.js';

/**
 * A server of an older release on a real `ws` socket: its AuthOk does not tell its frame
 * limit (1 KiB here, which the client cannot know), and a bigger frame closes with 1009.
 */
async function olderServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload: 1024 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  wss.on('connection', (ws) =>
    ws
      .on('error', () => undefined /* ws closes with 1009 itself */)
      .on('message', (data: Buffer) => {
        const f = fromBinary(gateway.ClientFrameSchema, data);
        const body =
          f.body.case === 'auth'
            ? ({ case: 'authOk', value: { userId: 'u1', heartbeatIntervalMs: 60_000 } } as const)
            : undefined;
        // Other requests stay unanswered: they are in flight when the big frame arrives.
        if (body)
          ws.send(
            toBinary(
              gateway.ServerFrameSchema,
              create(gateway.ServerFrameSchema, { requestId: f.requestId, body }),
            ),
          );
      }),
  );
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
    close: () => new Promise((r) => wss.close(() => r())),
  };
}

describe('WsConnection: a frame over the server limit', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => stop?.());

  it('on 1009 fails the request that caused it for good (PAYLOAD_TOO_LARGE); the rest lost only the connection', async () => {
    const server = await olderServer();
    stop = server.close;
    let closed!: (e: SocketClosedError) => void;
    const gone = new Promise<SocketClosedError>((r) => (closed = r));
    const conn = new WsConnection({ url: server.url, WebSocket, onPush: () => undefined, onClose: closed });
    await conn.authenticate('token', 5_000);
    const small = conn.request({ case: 'sync', value: { sincePts: 0 } }).catch((e: unknown) => e);
    const big = conn
      .request({
        case: 'send',
        value: {
          conversationId: '1',
          clientMsgId: 'm1',
          content: { body: { case: 'text', value: { text: 'x'.repeat(4096) } } },
        },
      })
      .catch((e: unknown) => e);
    expect((await gone).code).toBe(1009);
    const bigErr = await big;
    expect(bigErr).toBeInstanceOf(MyChatError);
    expect((bigErr as MyChatError).reason).toBe('PAYLOAD_TOO_LARGE');
    expect((await small) as MyChatError).toMatchObject({ reason: 'CONNECTION_LOST' });
  });

  it('refuses before sending a request over the limit the server told in AuthOk; the socket stays open', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    stop = () => new Promise((r) => wss.close(() => r()));
    const received: string[] = [];
    wss.on('connection', (ws) =>
      ws.on('message', (data: Buffer) => {
        const f = fromBinary(gateway.ClientFrameSchema, data);
        received.push(f.body.case ?? '');
        const body =
          f.body.case === 'auth'
            ? ({
                case: 'authOk',
                value: { userId: 'u1', heartbeatIntervalMs: 60_000, maxFrameBytes: 2048 },
              } as const)
            : ({ case: 'pong', value: {} } as const);
        ws.send(
          toBinary(
            gateway.ServerFrameSchema,
            create(gateway.ServerFrameSchema, { requestId: f.requestId, body }),
          ),
        );
      }),
    );
    const conn = new WsConnection({
      url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
      WebSocket,
      onPush: () => undefined,
      onClose: () => undefined,
    });
    await conn.authenticate('token', 5_000);
    const err = await conn
      .request({
        case: 'send',
        value: {
          conversationId: '1',
          clientMsgId: 'm1',
          content: { body: { case: 'text', value: { text: 'x'.repeat(4096) } } },
        },
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'PAYLOAD_TOO_LARGE' });
    expect((await conn.request({ case: 'ping', value: { clientTimeMs: 1 } })).body.case).toBe('pong');
    expect(received).toEqual(['auth', 'ping']);
    expect(conn.isClosed).toBe(false);
    conn.close();
  });
});
