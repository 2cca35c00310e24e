/**
 * A raw `ws` client for the gateway tests: it speaks the wire protocol by hand (no sdk), so
 * the tests pin down exactly what a client in another language would see.
 */
import {
  create,
  fromBinary,
  fromJsonString,
  toBinary,
  toJsonString,
  type MessageInitShape,
} from '@bufbuild/protobuf';
import { auth, gateway } from '@mychat/protocol';
import type { IncomingHttpHeaders } from 'node:http';
import { WebSocket } from 'ws';
import { signUp } from '../../../test/helpers/auth-helpers.js';
import type { TestServer } from '../../../test/helpers/test-server.js';

export type ClientFrameInit = MessageInitShape<typeof gateway.ClientFrameSchema>;

export interface Received {
  frame: gateway.ServerFrame;
  /** True when it came as a text (JSON) frame. */
  text: boolean;
}

export interface TestSocket {
  ws: WebSocket;
  /** Waits for the next frame (matching `pred`) not taken yet. */
  next(pred?: (f: gateway.ServerFrame) => boolean, timeoutMs?: number): Promise<Received>;
  /** Every frame received so far, taken or not. */
  all: Received[];
  send(frame: ClientFrameInit, wire?: 'binary' | 'text'): void;
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  /** The headers of the server's 101 answer. */
  upgradeHeaders: IncomingHttpHeaders;
}

export const wsUrl = (server: TestServer, path = '/ws') => server.baseUrl.replace(/^http/, 'ws') + path;

/** Opens a socket (resolves once open; rejects on an HTTP refusal). */
export function connect(
  server: TestServer,
  opts: { origin?: string; headers?: Record<string, string>; path?: string } = {},
): Promise<TestSocket> {
  const ws = new WebSocket(wsUrl(server, opts.path), {
    ...(opts.origin !== undefined && { origin: opts.origin }),
    headers: opts.headers,
  });
  const all: Received[] = [];
  const queue: Received[] = [];
  const waiters: { pred: (f: gateway.ServerFrame) => boolean; resolve: (r: Received) => void }[] = [];
  ws.on('message', (data: Buffer, isBinary) => {
    const frame = isBinary
      ? fromBinary(gateway.ServerFrameSchema, data)
      : fromJsonString(gateway.ServerFrameSchema, data.toString('utf8'));
    const r = { frame, text: !isBinary };
    all.push(r);
    const i = waiters.findIndex((w) => w.pred(frame));
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(r);
    else queue.push(r);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const socket: TestSocket = {
    ws,
    all,
    closed,
    upgradeHeaders: {},
    next(pred = () => true, timeoutMs = 3_000) {
      const i = queue.findIndex((r) => pred(r.frame));
      if (i >= 0) return Promise.resolve(queue.splice(i, 1)[0]!);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (r: Received) => (clearTimeout(timer), resolve(r)) };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`no matching frame within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    send(init, wire = 'binary') {
      const frame = create(gateway.ClientFrameSchema, init);
      ws.send(
        wire === 'binary'
          ? toBinary(gateway.ClientFrameSchema, frame)
          : toJsonString(gateway.ClientFrameSchema, frame),
      );
    },
  };
  ws.once('upgrade', (res) => (socket.upgradeHeaders = res.headers));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(socket));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

/** Frame predicates. */
export const is =
  (c: NonNullable<gateway.ServerFrame['body']['case']>) =>
  (f: gateway.ServerFrame): boolean =>
    f.body.case === c;

/** Opens a socket and authenticates it with `token`; resolves after AuthOk. */
export async function connectAuthed(
  server: TestServer,
  token: string,
  wire: 'binary' | 'text' = 'binary',
): Promise<TestSocket & { authOk: gateway.AuthOk }> {
  const s = await connect(server);
  s.send({ requestId: 1, body: { case: 'auth', value: { accessToken: token } } }, wire);
  const { frame } = await s.next();
  if (frame.body.case !== 'authOk') throw new Error(`expected authOk, got ${JSON.stringify(frame.body)}`);
  return Object.assign(s, { authOk: frame.body.value });
}

/** A new account with a web session: its user id, session id and access token. */
export async function newUser(server: TestServer, opts: { clientType?: string; deviceId?: string } = {}) {
  const api = server.client(auth.AuthService);
  const { email, session } = await signUp(server, api, opts);
  return { email, api, userId: session.user!.id, sessionId: session.sessionId, token: session.accessToken };
}

/** Resolves when `ws` is closed, or after `ms` (to assert that something did NOT close). */
export const closedWithin = (s: TestSocket, ms: number) =>
  Promise.race([s.closed, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms))]);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
