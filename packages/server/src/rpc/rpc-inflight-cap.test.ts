import { Code, ConnectError } from '@connectrpc/connect';
import { message as pb } from '@mychat/protocol';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, errorInfoOf } from '../kernel/errors.js';
import { RpcHub } from './rpc-hub.js';
import { RpcServer } from './rpc-server.js';

/** A caller's connection to a peer carries at most rpc.maxInFlightPerPeer calls at once. */
describe('in-flight cap per peer connection', () => {
  const logger = pino({ level: 'silent' });
  const token = 'token-for-the-cap-test';
  const gates: (() => void)[] = [];
  let arrived = 0;
  let server: RpcServer;
  let caller: RpcHub;

  beforeAll(async () => {
    // The "message service" process: answers SendTyping only when the test lets it.
    const serviceHub = new RpcHub({ internalToken: token, peers: {}, defaultTimeoutMs: 5_000, logger });
    serviceHub.register(pb.MessageService, {
      async sendTyping() {
        arrived++;
        await new Promise<void>((r) => gates.push(r));
        return {};
      },
    });
    server = new RpcServer(serviceHub, { host: '127.0.0.1', port: 0, logger });
    await server.start();
    // The "gateway" process: the message service is a gRPC peer, with a cap of 3 calls.
    caller = new RpcHub({
      internalToken: token,
      peers: { message: `http://127.0.0.1:${server.port}` },
      defaultTimeoutMs: 5_000,
      maxInFlightPerPeer: 3,
      logger,
    });
  });
  afterAll(async () => {
    for (const g of gates) g();
    await server?.stop();
  });

  it('refuses the call over the cap at once with UNAVAILABLE, and admits again when calls finish', async () => {
    const client = caller.client(pb.MessageService);
    const held = [1, 2, 3].map(() => client.sendTyping({ conversationId: '1' }));
    while (arrived < 3) await new Promise((r) => setTimeout(r, 5));

    const err = await client.sendTyping({ conversationId: '1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.Unavailable);
    expect(errorInfoOf(err)?.code).toBe(ErrorCode.UNAVAILABLE);
    expect(errorInfoOf(err)?.retryAfterSeconds).toBe(1);
    expect(arrived).toBe(3); // the refused call never reached the service

    for (const g of gates.splice(0)) g();
    await Promise.all(held);
    const again = client.sendTyping({ conversationId: '1' });
    while (arrived < 4) await new Promise((r) => setTimeout(r, 5));
    for (const g of gates.splice(0)) g();
    await expect(again).resolves.toBeDefined();
  });
});
