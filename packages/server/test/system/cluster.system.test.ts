import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { auth, contacts, message } from '@mychat/protocol';
import { MyChatClient } from '@mychat/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startCluster, type Cluster } from '@mychat/server/dev/cluster';
import { Meta } from '../../src/rpc/call-context.js';
import { PASSWORD, uniqueEmail } from '../helpers/auth-helpers.js';
import { backendAvailable, backendUrls } from '../helpers/backends.js';
import { clusterTestEnv } from '../helpers/cluster-env.js';
import { tus, tusMetadata } from '../helpers/media-helpers.js';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const PROTO_DIR = path.resolve(here, '../../../../proto');
const PYTHON = '/usr/bin/python3';

/** Whether Debian's python3-grpcio and python3-grpc-tools are there (CI installs them). */
async function pythonGrpc(): Promise<boolean> {
  const ok = await run(PYTHON, ['-c', 'import grpc, grpc_tools.protoc']).then(
    () => true,
    () => false,
  );
  if (!ok && process.env.CI === 'true')
    throw new Error('CI=true: python3-grpcio/python3-grpc-tools are missing');
  return ok;
}

/**
 * The split for real: each service in its own process on MariaDB + Redis, calls between
 * them over gRPC with the internal token. The message service gets no peers at all (it
 * calls nobody); auth neither.
 */
const ready = (await backendAvailable('mysql')) && (await backendAvailable('redis'));
describe.skipIf(!ready)('split deployment on loopback (MariaDB + Redis)', () => {
  let cluster: Cluster;
  const clients: MyChatClient[] = [];

  beforeAll(async () => {
    cluster = await startCluster({
      sql: backendUrls.mysql,
      redisUrl: backendUrls.redis,
      env: clusterTestEnv,
      envFor: {
        // Debug level where one message's lines are looked for.
        'gateway-1': { MYCHAT_LOG_LEVEL: 'debug' },
        'gateway-2': { MYCHAT_LOG_LEVEL: 'debug' },
        message: { MYCHAT_LOG_LEVEL: 'debug', MYCHAT_RPC_PEERS: '' },
        auth: { MYCHAT_RPC_PEERS: '' },
      },
    });
  }, 90_000);
  afterAll(async () => {
    for (const c of clients) await c.close();
    await cluster?.stop();
  });

  async function person(name: string) {
    const email = uniqueEmail(name);
    const client = new MyChatClient({
      baseUrl: cluster.baseUrl,
      device: { clientType: 'pc', deviceId: name, name },
      WebSocket: WebSocket as never,
    });
    clients.push(client);
    await client.auth.sendCode({ email }, 'register');
    const me = await client.auth.register({
      to: { email },
      code: await cluster.codeFor(email),
      password: PASSWORD,
      nickname: name,
    });
    return { client, me, email };
  }

  /** Calls counted by a service process's rpc histogram, by service and method. */
  async function served(proc: string, service: string, method: string): Promise<number> {
    const text = await (await fetch(`${cluster.process(proc).httpUrl}/metrics`)).text();
    let n = 0;
    for (const line of text.split('\n')) {
      if (!line.startsWith('mychat_rpc_server_duration_seconds_count{')) continue;
      if (
        line.includes(`service="${service}"`) &&
        line.includes(`method="${method}"`) &&
        line.includes('code="ok"')
      )
        n += Number(line.split(' ').at(-1));
    }
    return n;
  }

  let alice: Awaited<ReturnType<typeof person>>;
  let conv = '';

  it('every inter-service call crosses processes: contacts -> auth and message, gateway -> contacts', async () => {
    alice = await person('alice');
    const bob = await person('bob');
    const watching: string[] = [];
    alice.client.on('presence', (p) => p.online && watching.push(p.userId));
    const { request } = await alice.client.contacts.request(bob.me.id, 'hi');
    conv = (await bob.client.contacts.respond(request.id, 'accept')).conversationId!;
    await alice.client.connect();
    await bob.client.connect();
    const m = await alice.client.messages.sendText(conv, 'over the wire');
    expect(m.seq).toBe(2); // after the "You are now friends" line
    await expect.poll(() => watching.includes(bob.me.id), { timeout: 10_000 }).toBe(true);

    expect(await served('auth', 'mychat.auth.v1.UserDirectoryService', 'LookupUsers')).toBeGreaterThan(0);
    expect(
      await served('message', 'mychat.message.v1.MessageInternalService', 'ApplyDirect'),
    ).toBeGreaterThan(0);
    expect(
      await served('contacts', 'mychat.contacts.v1.ContactsInternalService', 'ListPresenceAudience'),
    ).toBeGreaterThan(0);
    // The gateway's sends go in one SendMessageBatch call per event-loop turn.
    expect(await served('message', 'mychat.message.v1.MessageInternalService', 'SendMessageBatch')).toBe(1);
    expect(await served('message', 'mychat.message.v1.MessageService', 'SendMessage')).toBe(0);
    expect(await served('auth', 'mychat.auth.v1.AuthService', 'Register')).toBe(2);
  });

  it('moments cross processes: the worker fans a post out with contacts over gRPC and the hint reaches a socket', async () => {
    const ann = await person('ann');
    const ben = await person('ben');
    const { request } = await ann.client.contacts.request(ben.me.id);
    await ben.client.contacts.respond(request.id, 'accept');
    await ben.client.connect();
    expect((await ben.client.moments.timeline()).moments).toEqual([]); // Ben reads: active
    const hints: string[] = [];
    ben.client.moments.on('hint', (h) => hints.push(h.momentId));
    const { moment } = await ann.client.moments.publish({ text: 'from the moments process' });
    await expect.poll(() => hints, { timeout: 15_000 }).toEqual([moment.id]);
    expect((await ben.client.moments.timeline()).moments.map((m) => m.text)).toEqual([
      'from the moments process',
    ]);
    // The pointer was written by the worker process (its fan-out metric), which asked contacts.
    const workerMetrics = await (await fetch(`${cluster.process('worker').httpUrl}/metrics`)).text();
    expect(workerMetrics).toMatch(/^mychat_moments_fanout_lag_seconds_count\S* [1-9]/m);
    expect(
      await served('contacts', 'mychat.contacts.v1.ContactsInternalService', 'GetFriendGraph'),
    ).toBeGreaterThan(0);
    expect(await served('moments', 'mychat.moments.v1.MomentsService', 'PublishMoment')).toBe(1);
  });

  it("one message's log lines in the gateway and in the message service carry the same request id", async () => {
    const m = await alice.client.messages.sendText(conv, 'trace me');
    const lines = (name: string) =>
      fs
        .readFileSync(cluster.process(name).logFile, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    let stored: Record<string, unknown> | undefined;
    await expect
      .poll(() => (stored = lines('message').find((l) => l.msg === 'message stored' && l.msg_id === m.id)))
      .toBeDefined();
    const requestId = stored!.request_id as string;
    expect(requestId).toMatch(/^[A-Za-z0-9._:-]{8,64}$/);
    const inMessage = lines('message').filter((l) => l.request_id === requestId);
    expect(inMessage.map((l) => l.msg)).toEqual(expect.arrayContaining(['message stored', 'rpc handled']));
    await expect
      .poll(() =>
        [...lines('gateway-1'), ...lines('gateway-2')]
          .filter((l) => l.request_id === requestId)
          .map((l) => [l.msg, l.frame]),
      )
      .toEqual([['ws request', 'send']]);
  });

  it('a resumable upload started through one gateway resumes through the other', async () => {
    const { client } = await person('uploader');
    const token = await client.auth.accessToken();
    const [g1, g2] = cluster.gateways.map((g) => `${g.httpUrl}/media/v1/tus`);
    const bytes = randomBytes(300_000);
    const created = await tus(g1!, 'POST', token, {
      'upload-length': String(bytes.length),
      'upload-metadata': tusMetadata({ kind: 'file', filename: 'split.bin' }),
    });
    expect(created.status).toBe(201);
    const id = created.headers.get('location')!.split('/').at(-1)!;
    const chunk = (offset: number) => ({
      'upload-offset': String(offset),
      'content-type': 'application/offset+octet-stream',
    });
    expect((await tus(`${g1}/${id}`, 'PATCH', token, chunk(0), bytes.subarray(0, 100_000))).status).toBe(204);
    // The connection to the first gateway is gone; the next request lands on the second.
    const head = await tus(`${g2}/${id}`, 'HEAD', token);
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe('100000');
    const done = await tus(`${g2}/${id}`, 'PATCH', token, chunk(100_000), bytes.subarray(100_000));
    expect(done.status).toBe(204);
    expect(done.headers.get('x-media-id')).toMatch(/^\d+$/);
  });

  it('every internal service refuses a call without the internal token, or with a wrong one', async () => {
    const directory = (token?: string) =>
      createClient(
        auth.UserDirectoryService,
        createGrpcTransport({
          baseUrl: cluster.process('auth').rpcUrl,
          interceptors: token
            ? [(next) => (req) => (req.header.set(Meta.internalToken, token), next(req))]
            : [],
        }),
      );
    const refused = async (p: Promise<unknown>) => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as ConnectError).code).toBe(Code.Unauthenticated);
    };
    await refused(directory().lookupUsers({ userIds: [alice.me.id] }));
    await refused(directory('not-the-token').lookupUsers({ userIds: [alice.me.id] }));
    const ok = await directory(cluster.internalToken).lookupUsers({ userIds: [alice.me.id] });
    expect(ok.users.map((u) => u.nickname)).toEqual(['alice']);
    // The other services, on their own ports, refuse alike.
    for (const [proc, service] of [
      ['contacts', contacts.ContactsInternalService],
      ['message', message.MessageInternalService],
    ] as const) {
      const transport = createGrpcTransport({ baseUrl: cluster.process(proc).rpcUrl });
      if (service === contacts.ContactsInternalService)
        await refused(createClient(service, transport).listPresenceAudience({ userId: alice.me.id }));
      else {
        const internal = createClient(message.MessageInternalService, transport);
        await refused(internal.applyDirect({ userA: '1', userB: '2' }));
        // The call that carries a sender's identity in its body above all.
        await refused(
          internal.sendMessageBatch({
            sends: [
              {
                userId: alice.me.id,
                sessionId: 'forged',
                request: { conversationId: conv, clientMsgId: 'x' },
              },
            ],
          }),
        );
      }
    }
    // Nor is it reachable through the public edge, even with a valid access token.
    const edge = await fetch(`${cluster.baseUrl}/mychat.message.v1.MessageInternalService/SendMessageBatch`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await alice.client.auth.accessToken()}`,
      },
      body: JSON.stringify({
        sends: [{ userId: alice.me.id, sessionId: 'x', request: { conversationId: conv } }],
      }),
    });
    expect(edge.status).toBe(404);
    // Gateways serve no internal port at all.
    for (const g of cluster.gateways) expect(g.rpcPort).toBe(0);
  });

  it('an independent Python gRPC client (Debian python3-grpcio, stubs from proto/) calls auth and message', async (ctx) => {
    if (!(await pythonGrpc())) ctx.skip();
    const stubs = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-pygrpc-'));
    try {
      // Debian bookworm's grpc_tools bundles protoc 3.5.1, older than proto3 `optional`: the
      // label is dropped from a copy of the files (the wire format is the same).
      const protoCopy = path.join(stubs, 'proto');
      fs.cpSync(PROTO_DIR, protoCopy, { recursive: true });
      const files = fs
        .readdirSync(protoCopy, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.proto'));
      for (const f of files) {
        const file = path.join(protoCopy, f);
        fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^(\s*)optional /gm, '$1'));
      }
      const wkt = (
        await run(PYTHON, ['-c', 'import grpc_tools,os;print(os.path.dirname(grpc_tools.__file__))'])
      ).stdout.trim();
      await run(
        PYTHON,
        [
          '-m',
          'grpc_tools.protoc',
          `-I${protoCopy}`,
          `-I${path.join(wkt, '_proto')}`,
          `--python_out=${stubs}`,
          `--grpc_python_out=${stubs}`,
          ...files,
        ],
        { cwd: protoCopy },
      );
      const args = {
        auth: `127.0.0.1:${cluster.process('auth').rpcPort}`,
        message: `127.0.0.1:${cluster.process('message').rpcPort}`,
        token: cluster.internalToken,
        userId: alice.me.id,
        sessionId: 'python-session',
        conversationId: conv,
      };
      const { stdout } = await run(PYTHON, [
        path.join(here, '../helpers/grpc-python/client.py'),
        stubs,
        JSON.stringify(args),
      ]);
      expect(JSON.parse(stdout)).toEqual({
        lookup: { code: 'OK', nicknames: ['alice'] },
        lookupWithoutToken: 'UNAUTHENTICATED',
        lookupWrongToken: 'UNAUTHENTICATED',
        history: {
          code: 'OK',
          messages: [
            [1, ''], // "You are now friends" (a system message: no text)
            [2, 'over the wire'],
            [3, 'trace me'],
          ],
        },
        historyWithoutToken: 'UNAUTHENTICATED',
        historyWithoutIdentity: 'UNAUTHENTICATED',
      });
    } finally {
      fs.rmSync(stubs, { recursive: true, force: true });
    }
  }, 60_000);

  it('sends written together travel in SendMessageBatch calls and each gets its own answer', async () => {
    const before = await served('message', 'mychat.message.v1.MessageInternalService', 'SendMessageBatch');
    // Written to the socket together, read by the gateway in one turn.
    const [good, bad, good2] = await Promise.allSettled([
      alice.client.messages.sendText(conv, 'one'),
      alice.client.messages.sendText('123456789', 'not a conversation of hers'),
      alice.client.messages.sendText(conv, 'two'),
    ]);
    expect(good).toMatchObject({ status: 'fulfilled' });
    expect(good2).toMatchObject({ status: 'fulfilled' });
    const [s1, s2] = [good, good2].map((r) => (r as PromiseFulfilledResult<{ seq: number }>).value.seq);
    expect(s2).toBe(s1! + 1);
    expect(bad.status).toBe('rejected');
    // What SendMessage answers a stranger: no such conversation (its existence is not told).
    expect((bad as PromiseRejectedResult).reason).toMatchObject({ reason: 'NOT_FOUND' });
    const calls =
      (await served('message', 'mychat.message.v1.MessageInternalService', 'SendMessageBatch')) - before;
    // Each went in a SendMessageBatch call (how many of the three one gateway turn read together
    // depends on the socket; one call per turn is the unit tests' part), none as a SendMessage.
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThanOrEqual(3);
    expect(await served('message', 'mychat.message.v1.MessageService', 'SendMessage')).toBe(0);
  });
});
