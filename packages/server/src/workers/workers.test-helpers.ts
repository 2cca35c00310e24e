/**
 * A built server started as its own process with socket workers (`--workers=N` through
 * MYCHAT_SERVER_WORKERS), and what the system tests need to put the sockets of a case on
 * chosen workers: every answer of a worker names it (`x-mychat-worker`).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import type { DescService } from '@bufbuild/protobuf';
import { auth } from '@mychat/protocol';
import { device, PASSWORD, uniqueEmail } from '../../test/helpers/auth-helpers.js';
import { ChildServer, freePort } from '../../test/helpers/child-server.js';
import { extractCode, latestMailTo } from '../../test/helpers/outbox.js';
import { connect, type TestSocket } from '../gateway/ws/ws.test-helpers.js';
import type { TestServer } from '../../test/helpers/test-server.js';

export interface WorkersServer {
  server: ChildServer;
  dataDir: string;
  baseUrl: string;
  /** A Connect client over HTTP/1.1 (its requests spread over the workers). */
  client<S extends DescService>(service: S): Client<S>;
  codeFor(email: string): Promise<string>;
  /** The pids of the socket workers now (children of the primary). */
  workerPids(): number[];
  /** A raw socket on the given worker (opens and closes sockets until one lands there). */
  socketOn(worker: number): Promise<TestSocket & { worker: number }>;
  /** A socket and the worker it landed on. */
  socket(): Promise<TestSocket & { worker: number }>;
  stop(): Promise<void>;
}

/** Settings for quick tests: fast hashing, high auth limits unless a test sets its own. */
export const WORKERS_TEST_ENV: Record<string, string> = {
  MYCHAT_LOG_LEVEL: 'warn',
  MYCHAT_AUTH_ARGON2_MEMORY_KIB: '1024',
  MYCHAT_AUTH_ARGON2_TIME_COST: '1',
  MYCHAT_AUTH_SEND_PER_IP_PER_HOUR: '1000000',
  MYCHAT_AUTH_CODE_TRIES_PER_IP_PER_HOUR: '1000000',
  MYCHAT_AUTH_LOGIN_PER_IP_PER_WINDOW: '1000000',
  MYCHAT_AUTH_SEND_COOLDOWN_SECONDS: '0',
  MYCHAT_AUTH_SEND_PER_DESTINATION_PER_HOUR: '1000',
  MYCHAT_MESSAGE_SEND_BURST: '100000',
  MYCHAT_MESSAGE_SEND_RATE_PER_SECOND: '100000',
  MYCHAT_WS_PRESENCE_DEBOUNCE_MS: '200',
  MYCHAT_RPC_TIMEOUT_MS: '20000',
};

/** Starts the built server with `workers` socket workers and `env` on a fresh data dir. */
export async function startWorkersServer(
  workers: number,
  env: Record<string, string> = {},
): Promise<WorkersServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-workers-'));
  const server = new ChildServer({
    ...WORKERS_TEST_ENV,
    MYCHAT_DATA_DIR: dataDir,
    MYCHAT_HTTP_PORT: String(await freePort()),
    MYCHAT_SERVER_WORKERS: String(workers),
    ...env,
  });
  await server.start();
  // /readyz answers as soon as one worker listens: wait for all of them.
  await waitForWorkers(server, workers);
  return {
    server,
    dataDir,
    baseUrl: server.url,
    client: (service) =>
      createClient(service, createConnectTransport({ baseUrl: server.url, httpVersion: '1.1' })),
    async codeFor(email) {
      for (let i = 0; i < 200; i++) {
        const mail = await latestMailTo(path.join(dataDir, 'outbox'), email);
        if (mail) return extractCode(mail.text);
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`no code for ${email}`);
    },
    workerPids: () => childPids(server.pid!),
    socket: () => socketWithWorker(server.url),
    async socketOn(worker) {
      for (let i = 0; i < 20; i++) {
        const s = await socketWithWorker(server.url);
        if (s.worker === worker) return s;
        s.ws.close();
      }
      throw new Error(`no socket landed on worker ${worker}`);
    },
    async stop() {
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Opens a raw socket and reads which worker took it from the 101 answer. */
export async function socketWithWorker(baseUrl: string): Promise<TestSocket & { worker: number }> {
  const s = await connect({ baseUrl } as TestServer);
  return Object.assign(s, { worker: Number(s.upgradeHeaders['x-mychat-worker'] ?? 0) });
}

/** Waits until `count` distinct workers have answered /readyz; returns their numbers. */
export async function waitForWorkers(server: ChildServer, count: number): Promise<number[]> {
  const seen = new Set<number>();
  for (let i = 0; i < 400 && seen.size < count; i++) {
    const w = await workerOf(`${server.url}/readyz`);
    if (w) seen.add(w);
    else await new Promise((r) => setTimeout(r, 50));
  }
  if (seen.size < count) throw new Error(`only ${seen.size} of ${count} workers answered`);
  return [...seen];
}

/** The worker that answers a request on a new connection with 200 (0 when none does). */
export function workerOf(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? Number(res.headers['x-mychat-worker'] ?? 0) : 0));
    });
    req.on('error', () => resolve(0));
  });
}

/** Pids of a process's children (Linux). */
export function childPids(pid: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => n > 0);
}

/** Signs a person up over HTTP; returns their id, session and access token. */
export async function signUpOver(
  s: Pick<WorkersServer, 'client' | 'codeFor'>,
  opts: { clientType?: string; deviceId?: string; email?: string } = {},
) {
  const api = s.client(auth.AuthService);
  const email = opts.email ?? uniqueEmail('w');
  await api.sendVerificationCode({
    destination: { case: 'email', value: email },
    purpose: 'register',
    locale: 'en',
  });
  const res = await api.register({
    destination: { case: 'email', value: email },
    code: await s.codeFor(email),
    password: PASSWORD,
    nickname: 'Worker test',
    device: device(opts.clientType ?? 'pc', opts.deviceId ?? 'dev-1'),
  });
  const session = res.session!;
  return { email, api, userId: session.user!.id, sessionId: session.sessionId, token: session.accessToken };
}
