import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeanClient } from './lean-client.js';
import { BENCH_SERVER_ENV, seedWith } from './target.js';
import { startLocalServer, type LocalServer } from './local-server.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

describe('LeanClient against a real all-in-one server', () => {
  let server: LocalServer;
  let tokens: string[];
  let conv: string;
  beforeAll(async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-lean-'));
    const env = {
      ...BENCH_SERVER_ENV,
      MYCHAT_WS_HEARTBEAT_INTERVAL_MS: '300',
      MYCHAT_WS_HEARTBEAT_TIMEOUT_MS: '900',
    };
    const seed = await seedWith({ ...env, MYCHAT_DATA_DIR: dataDir }, 2, 0);
    tokens = seed.users.map((u) => u.accessToken);
    conv = seed.pairs[0]!.conversationId;
    server = await startLocalServer(env, dataDir);
  }, 60_000);
  afterAll(() => server.stop());

  it('stays connected past the heartbeat timeout by pinging at the interval auth_ok names', async () => {
    const c = await LeanClient.connect({ url: server.url, accessToken: tokens[0]! });
    await new Promise((r) => setTimeout(r, 2500));
    expect(c.closeCode).toBeUndefined();
    expect(c.isOpen).toBe(true);
    await c.close();
  });

  it('sends, gets the ack with a seq, and the friend receives the push', async () => {
    const got: string[] = [];
    const a = await LeanClient.connect({ url: server.url, accessToken: tokens[0]! });
    const b = await LeanClient.connect({
      url: server.url,
      accessToken: tokens[1]!,
      onMessage: (m) => got.push(m.text),
    });
    const seq = await a.sendText(conv, 'lean-test-1', 'hello');
    expect(seq).toBeGreaterThan(0);
    for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual(['hello']);
    await a.close();
    await b.close();
  });

  it('refuses a bad token', async () => {
    await expect(LeanClient.connect({ url: server.url, accessToken: 'nope' })).rejects.toThrow();
  });
});
