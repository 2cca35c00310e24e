import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type HandlerContext } from '@connectrpc/connect';
import { message } from '@mychat/protocol';
import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError, ErrorCode, errorInfoOf } from '../kernel/errors.js';
import { callHeaders } from '../rpc/call-context.js';
import { RpcHub } from '../rpc/rpc-hub.js';
import { inProcessPrimary, silent, type InProcessPrimary } from './in-process.test-helpers.js';
import { Link, type LinkHandlers } from './link.js';
import { connectUplink } from './worker-link.js';
import { Frame, type Reader } from './wire.js';

/** Two Link ends over a Unix socket in this process. */
async function linkPair(a: Partial<LinkHandlers> = {}, b: Partial<LinkHandlers> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-link-'));
  const file = path.join(dir, 's');
  const accepted = new Promise<net.Socket>((resolve) => {
    const server = net.createServer((s) => {
      server.close();
      resolve(s);
    });
    server.listen(file);
  });
  const client = net.connect(file);
  await new Promise((r) => client.once('connect', r));
  const serverSide = await accepted;
  fs.rmSync(dir, { recursive: true, force: true });
  const none: LinkHandlers = { onFrame() {}, onRequest() {}, onClose() {} };
  return {
    client,
    left: new Link(client, { ...none, ...a }),
    right: new Link(serverSide, { ...none, ...b }),
  };
}

describe('the link between a primary and a socket worker', () => {
  it('sends everything of one event-loop turn in one write, in order', async () => {
    const got: number[] = [];
    const { client, left, right } = await linkPair(
      {},
      { onFrame: (type, r) => void (type === Frame.publish && got.push(r.u32())) },
    );
    let writes = 0;
    const write = client.write.bind(client);
    client.write = ((...args: Parameters<typeof write>) => {
      writes++;
      return write(...args);
    }) as typeof client.write;
    for (let i = 0; i < 500; i++) left.post(Frame.publish, (w) => w.u32(i));
    await sleep(50);
    expect(got).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(writes).toBe(1);
    left.close();
    right.close();
  });

  it('answers requests in any order, with a body or an error that keeps its code and details', async () => {
    const { left, right } = await linkPair(
      {},
      {
        onRequest(kind, r, reply) {
          const n = r.u32();
          if (kind === 1) setTimeout(() => reply.ok((w) => w.u32(n * 2)), 30 - n * 10);
          else reply.fail(new AppError(ErrorCode.RATE_LIMITED, 'slow down', { retryAfterSeconds: 7 }));
        },
      },
    );
    const order: number[] = [];
    const answers = await Promise.all(
      [1, 2].map((n) =>
        left
          .request(1, (w) => w.u32(n))
          .then((r: Reader) => {
            order.push(n);
            return r.u32();
          }),
      ),
    );
    expect(answers).toEqual([2, 4]);
    expect(order).toEqual([2, 1]);
    const err = await left.request(2, (w) => w.u32(0)).catch((e: unknown) => e);
    // An AppError that is not a ConnectError travels as its message with INTERNAL.
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.Internal);
    left.close();
    right.close();
  });

  it('fails every request still waiting with UNAVAILABLE when the other end goes', async () => {
    let closed = 0;
    const { left, right } = await linkPair({ onClose: () => closed++ });
    const waiting = left.request(1);
    right.close();
    await expect(waiting).rejects.toMatchObject({ code: Code.Unavailable });
    await expect(left.request(1)).rejects.toMatchObject({ code: Code.Unavailable });
    expect(closed).toBe(1);
    expect(left.isOpen).toBe(false);
  });

  it('cuts a link whose bytes make no sense', async () => {
    let cut = 0;
    const { client, right } = await linkPair({}, { onClose: () => cut++ });
    client.write(Buffer.from([0, 0, 0, 0, 9]));
    await sleep(50);
    expect(cut).toBe(1);
    expect(right.isOpen).toBe(false);
  });
});

describe('socket workers through their primary', () => {
  let primary: InProcessPrimary | undefined;
  afterEach(async () => {
    await primary?.close();
    primary = undefined;
  });

  it('calls a service of the primary with the caller, deadline and request id, and gets its answer', async () => {
    primary = await inProcessPrimary();
    const seen: { user: string | null; request: string | null; timeout: number | undefined }[] = [];
    primary.hub.register(message.MessageService, {
      sendMessage: (req: message.SendMessageRequest, ctx: HandlerContext) => {
        seen.push({
          user: ctx.requestHeader.get('x-mychat-user-id'),
          request: ctx.requestHeader.get('x-request-id'),
          timeout: ctx.timeoutMs(),
        });
        return create(message.SendMessageResponseSchema, {
          message: { conversationId: req.conversationId, seq: 42 },
        });
      },
    });
    const uplink = await primary.uplink();
    const hub = new RpcHub({
      internalToken: 'unused',
      peers: {},
      defaultTimeoutMs: 5_000,
      logger: silent,
      outbound: uplink.transport,
    });
    const res = await hub.client(message.MessageService).sendMessage(
      { conversationId: 'c1', clientMsgId: 'm1' },
      {
        timeoutMs: 2_000,
        headers: callHeaders({
          requestId: 'req-1',
          caller: { userId: 'u1', sessionId: 's1', clientType: 'pc', deviceId: 'd1' },
        }),
      },
    );
    expect(res.message?.seq).toBe(42);
    expect(res.message?.conversationId).toBe('c1');
    expect(seen[0]!.user).toBe('u1');
    expect(seen[0]!.request).toBe('req-1');
    expect(seen[0]!.timeout).toBeGreaterThan(1_000);
    expect(seen[0]!.timeout).toBeLessThanOrEqual(2_000);
  });

  it("brings a service's error back with its stable code, and names what is not there", async () => {
    primary = await inProcessPrimary();
    primary.hub.register(message.MessageService, {
      sendMessage: () => {
        throw new AppError(ErrorCode.RATE_LIMITED, 'too many sends', { retryAfterSeconds: 3 });
      },
    });
    const uplink = await primary.uplink();
    const hub = new RpcHub({
      internalToken: 'unused',
      peers: {},
      defaultTimeoutMs: 5_000,
      logger: silent,
      outbound: uplink.transport,
    });
    const err = await hub
      .client(message.MessageService)
      .sendMessage({ conversationId: 'c1' })
      .catch((e: unknown) => e);
    expect((err as ConnectError).code).toBe(Code.ResourceExhausted);
    expect(errorInfoOf(err)?.reason).toBe('RATE_LIMITED');
    expect(errorInfoOf(err)?.retryAfterSeconds).toBe(3);
    // Not implemented by the registered service / not in the primary at all.
    const unimplemented = await hub
      .client(message.MessageService)
      .markRead({})
      .catch((e: unknown) => e);
    expect((unimplemented as ConnectError).code).toBe(Code.Unimplemented);
    const absent = await hub
      .client(message.MessageInternalService)
      .markDeliveredBatch({})
      .catch((e: unknown) => e);
    expect((absent as ConnectError).code).toBe(Code.Unavailable);
  });

  it('fails a call whose answer cannot be encoded instead of leaving it waiting', async () => {
    primary = await inProcessPrimary();
    primary.hub.register(message.MessageService, {
      // seq is a uint32: a bigint does not encode.
      sendMessage: () => ({ message: { seq: 1n as never } }),
    });
    const hub = new RpcHub({
      internalToken: 'unused',
      peers: {},
      defaultTimeoutMs: 5_000,
      logger: silent,
      outbound: (await primary.uplink()).transport,
    });
    await expect(hub.client(message.MessageService).sendMessage({})).rejects.toMatchObject({
      code: Code.Internal,
    });
  });

  it('stops waiting when the caller aborts', async () => {
    primary = await inProcessPrimary();
    primary.hub.register(message.MessageService, {
      sendMessage: () => new Promise(() => {}),
    });
    const uplink = await primary.uplink();
    const controller = new AbortController();
    const hub = new RpcHub({
      internalToken: 'unused',
      peers: {},
      defaultTimeoutMs: 5_000,
      logger: silent,
      outbound: uplink.transport,
    });
    const call = hub.client(message.MessageService).sendMessage({}, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(call).rejects.toMatchObject({ code: Code.Canceled });
  });

  it('sends a publish to many channels once to each worker, naming its channels', async () => {
    primary = await inProcessPrimary();
    const [a, b] = [await primary.uplink(), await primary.uplink()];
    const got: { worker: string; channel: string; payload: Uint8Array }[] = [];
    for (const [name, up, channels] of [
      ['a', a, ['u:1', 'u:3', 'u:5']],
      ['b', b, ['u:2', 'u:4']],
    ] as const)
      for (const ch of channels)
        await up.bus.subscribe(ch, (payload, channel) => got.push({ worker: name, channel, payload }));
    await primary.bus.publishMany(['u:1', 'u:2', 'u:3', 'u:4', 'u:5', 'u:6'], Uint8Array.from([7, 7]));
    await sleep(50);
    expect(got.map((g) => `${g.worker}:${g.channel}`).sort()).toEqual([
      'a:u:1',
      'a:u:3',
      'a:u:5',
      'b:u:2',
      'b:u:4',
    ]);
    // One frame per worker: every channel of a worker got the very same bytes object.
    const ofA = new Set(got.filter((g) => g.worker === 'a').map((g) => g.payload));
    const ofB = new Set(got.filter((g) => g.worker === 'b').map((g) => g.payload));
    expect([ofA.size, ofB.size]).toEqual([1, 1]);
    expect([...[...ofA][0]!]).toEqual([7, 7]);
  });

  it("drops a worker's subscriptions and sockets when its link goes", async () => {
    primary = await inProcessPrimary();
    const a = await primary.uplink();
    const seen: string[] = [];
    await primary.bus.subscribe('u:9', () => seen.push('primary'));
    await a.bus.subscribe('u:9', () => seen.push('worker'));
    expect(await a.sockets.admitPending('10.0.0.1')).toBeUndefined();
    a.sockets.opened(1, 'u9', 's9');
    await sleep(20);
    expect(primary.links.registry.pendingCount).toBe(1);
    expect(primary.links.registry.openOf('u9')).toBe(1);
    a.close();
    await sleep(50);
    expect(primary.links.registry.pendingCount).toBe(0);
    expect(primary.links.registry.openOf('u9')).toBe(0);
    await primary.bus.publish('u:9', Uint8Array.from([1]));
    await sleep(20);
    expect(seen).toEqual(['primary']);
    await expect(a.kv.get('x')).rejects.toMatchObject({ code: Code.Unavailable });
  });

  it('aggregates the metrics of the primary and every worker, and tells the primary health', async () => {
    const failing: string[] = [];
    primary = await inProcessPrimary({ health: async () => failing });
    const [a, b] = [await primary.uplink(), await primary.uplink()];
    const registries = [primary.metrics, new Registry(), new Registry()];
    a.serveMetrics(registries[1]!);
    b.serveMetrics(registries[2]!);
    registries.forEach((registry, i) =>
      new Counter({ name: 'test_things_total', help: 'things', registers: [registry] }).inc(i + 1),
    );
    const text = await a.metrics();
    expect(text).toMatch(/^test_things_total 6$/m);
    expect(await b.health()).toEqual([]);
    failing.push('sql');
    expect(await b.health()).toEqual(['sql']);
    await primary.close();
    primary = undefined;
    await sleep(20);
    expect(await b.health()).toEqual(['primary']);
  });

  it('does not let a stuck process hold /readyz or /metrics: health fails, metrics leave it out', async () => {
    primary = await inProcessPrimary({ health: () => new Promise(() => {}), askTimeoutMs: 50 });
    const [a, b] = [await primary.uplink(), await primary.uplink()];
    a.serveMetrics(new Registry());
    const stuck = new Registry();
    stuck.getMetricsAsJSON = () => new Promise(() => {});
    b.serveMetrics(stuck);
    new Counter({ name: 'test_alive_total', help: 'alive', registers: [primary.metrics] }).inc();
    expect(await a.health()).toEqual(['primary']);
    expect(await a.metrics()).toMatch(/^test_alive_total 1$/m);
  });

  it('refuses a worker that does not know the secret', async () => {
    primary = await inProcessPrimary();
    const address = { ...primary.links.address, secret: 'x'.repeat(64) };
    const intruder = await connectUplink({ address, id: 99, logger: silent });
    await expect(intruder.kv.get('k')).rejects.toMatchObject({ code: Code.Unavailable });
    expect(primary.links.connected()).toEqual([]);
  });
});
