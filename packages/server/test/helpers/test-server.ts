import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { DescService } from '@bufbuild/protobuf';
import { createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { createApp, type App } from '../../src/app.js';
import type { Clock } from '../../src/kernel/clock.js';
import { latestMailTo, latestSmsTo, extractCode } from './outbox.js';

export interface TestServer {
  app: App;
  baseUrl: string;
  dataDir: string;
  outboxDir: string;
  /** Every log line the server wrote, as raw JSON text. */
  logs: string[];
  client<S extends DescService>(service: S, opts?: { binary?: boolean }): Client<S>;
  /** Waits for a new mail or text to `to` carrying a code, and returns the code. */
  codeFor(to: string): Promise<string>;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  sqlUrl?: string;
  redisUrl?: string;
  redisPrefix?: string;
  /** Let the server create its data directory (a subdirectory of a fresh temp dir). */
  dataDirAbsent?: boolean;
  /** Config overrides by path, e.g. { auth: { codeTtlSeconds: 2 } }. */
  overrides?: Record<string, unknown>;
  clock?: Clock;
  targets?: string[];
}

/**
 * A real MyChat process in this test process: every module, real sockets on port 0,
 * a temp data dir, logs captured for inspection.
 */
export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-test-'));
  // mkdtemp makes a private directory; a test of how the server creates its own asks for one
  // that does not exist yet.
  const dataDir = opts.dataDirAbsent ? path.join(root, 'data') : root;
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(line);
      cb();
    },
  });
  const app = createApp({
    targets: opts.targets ?? ['all'],
    clock: opts.clock,
    logDestination: sink,
    config: {
      env: {},
      overrides: {
        dataDir,
        log: { level: 'debug', pretty: 'false' },
        http: { port: 0 },
        rpc: { port: 0 },
        ...(opts.sqlUrl && { sql: { url: opts.sqlUrl } }),
        ...(opts.redisUrl && {
          redis: { url: opts.redisUrl, prefix: opts.redisPrefix ?? `t${process.pid}${Date.now()}:` },
        }),
        ...opts.overrides,
        // An override of `http` or `rpc` keeps port 0: a fixed default port would make two
        // servers of one test file share a port (and a client's pooled keep-alive sockets).
        http: { port: 0, ...(opts.overrides?.http as object) },
        rpc: { port: 0, ...(opts.overrides?.rpc as object) },
        // Hashing at OWASP strength makes every register/login take ~50 ms; tests use
        // argon2id with small memory unless they ask otherwise.
        auth: { argon2MemoryKib: 1024, argon2TimeCost: 1, ...(opts.overrides?.auth as object) },
      },
    },
  });
  await app.start();
  const baseUrl = app.value('http-server').url;
  const outboxDir = path.join(dataDir, 'outbox');
  const lastRead = new Map<string, string>();
  return {
    app,
    baseUrl,
    dataDir,
    outboxDir,
    logs,
    client(service, o = {}) {
      return createClient(
        service,
        createConnectTransport({ baseUrl, httpVersion: '1.1', useBinaryFormat: o.binary ?? false }),
      );
    },
    async codeFor(to) {
      // Waits for a message newer than the last one this helper read for `to` (outbox file
      // names are time-ordered), so a resent code is never confused with the previous one.
      for (let i = 0; i < 250; i++) {
        const m = to.startsWith('+') ? await latestSmsTo(outboxDir, to) : await latestMailTo(outboxDir, to);
        const seen = lastRead.get(to);
        if (m && (!seen || path.basename(m.file) > seen)) {
          try {
            const code = extractCode(m.text);
            lastRead.set(to, path.basename(m.file));
            return code;
          } catch {
            /* a mail without a code (account exists): keep waiting */
          }
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`no code arrived for ${to}`);
    },
    async stop() {
      await app.stop();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
