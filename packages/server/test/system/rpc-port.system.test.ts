import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/kernel/config.js';
import { configSchema } from '../../src/config.schema.js';
import { rpcPort } from '../../src/modules.js';

const apps: App[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const a of apps) await a.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** An all-in-one process as `mychat serve` starts it, with only the HTTP port moved. */
function allInOne(): App {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-rpcport-'));
  dirs.push(dataDir);
  const app = createApp({
    logDestination: new Writable({ write: (_c, _e, cb) => cb() }),
    config: {
      env: {},
      overrides: { dataDir, http: { port: 0 }, auth: { argon2MemoryKib: 1024, argon2TimeCost: 1 } },
    },
  });
  apps.push(app);
  return app;
}

describe('the internal RPC port when rpc.port is unset', () => {
  it('two all-in-one servers on one machine both start (no fixed internal port to collide on)', async () => {
    const [a, b] = [allInOne(), allInOne()];
    await a.start();
    await b.start();
    const ports = [a.value('rpc-server').port, b.value('rpc-server').port];
    expect(ports[0]).not.toBe(ports[1]);
    expect(ports).not.toContain(8081);
  });

  const config = (env: Record<string, string>) => loadConfig(configSchema, { env, file: '/dev/null' });

  it('stays 8081 for a process that others call (a service of a split)', () => {
    expect(rpcPort({ config: config({}), modules: ['sql', 'rpc', 'rpc-server', 'auth'] })).toBe(8081);
    // A gateway with peers is part of a split too.
    const peers = config({ MYCHAT_RPC_PEERS: 'auth=http://auth:8081' });
    expect(rpcPort({ config: peers, modules: ['rpc', 'auth', 'gateway'] })).toBe(8081);
  });

  it('takes a free port in the primary of socket workers, whose gateway runs in the workers', () => {
    const modules = ['sql', 'rpc', 'rpc-server', 'auth', 'message'];
    expect(rpcPort({ config: config({}), modules, role: { kind: 'primary' } })).toBe(0);
    expect(rpcPort({ config: config({}), modules })).toBe(8081);
  });

  it('is exactly what rpc.port says when it is set', () => {
    expect(rpcPort({ config: config({ MYCHAT_RPC_PORT: '9100' }), modules: ['gateway'] })).toBe(9100);
  });

  it('refuses a port that is not a number, naming the key', () => {
    expect(() => config({ MYCHAT_RPC_PORT: 'eighty' })).toThrow(/rpc\.port/);
    expect(() => config({ MYCHAT_RPC_PORT: '' })).toThrow(/rpc\.port/);
  });
});
