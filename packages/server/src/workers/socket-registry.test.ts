import { describe, expect, it } from 'vitest';
import { configSchema } from '../config.schema.js';
import { ConfigError, loadConfig } from '../kernel/config.js';
import { WsClose } from '../gateway/ws/ws-close-codes.js';
import { SocketRegistry } from './socket-registry.js';
import { usableCores, workerCount, workerExecArgv, workerNodeOptions } from './serve-workers.js';

const limits = {
  maxPendingSockets: 5,
  maxPendingSocketsPerIp: 2,
  maxSocketsPerSession: 2,
  maxSocketsPerUser: 3,
};

describe('the socket limits a primary keeps for all its workers', () => {
  it('gives each client address its share of the pending pool, across workers', () => {
    const r = new SocketRegistry(limits);
    expect(r.admit(1, 'a')).toBeUndefined();
    expect(r.admit(2, 'a')).toBeUndefined();
    expect(r.admit(1, 'a')).toBe('source');
    expect(r.admit(2, 'a')).toBe('source');
    r.left(2, 'a');
    expect(r.admit(1, 'a')).toBeUndefined();
    // A worker cannot give back a place it does not hold.
    r.left(2, 'a');
    r.left(2, 'b');
    expect(r.pendingCount).toBe(2);
    for (const ip of ['b', 'c', 'd']) expect(r.admit(2, ip)).toBeUndefined();
    expect(r.admit(1, 'e')).toBe('busy');
  });

  it('closes the oldest sockets over the session cap, then over the user cap, wherever they are', () => {
    const r = new SocketRegistry(limits);
    expect(r.opened(1, 1, 'u', 's1')).toEqual([]);
    expect(r.opened(2, 1, 'u', 's1')).toEqual([]);
    // A third socket of session s1: its oldest (worker 1) goes.
    expect(r.opened(2, 2, 'u', 's1')).toEqual([
      {
        worker: 1,
        userId: 'u',
        connId: 1,
        code: WsClose.TOO_MANY_SOCKETS,
        reason: 'too many sockets for this session',
      },
    ]);
    expect(r.opened(1, 2, 'u', 's2')).toEqual([]);
    // Four open sockets of u would be over 3: the oldest of all goes.
    expect(r.opened(1, 3, 'u', 's3')).toEqual([
      {
        worker: 2,
        userId: 'u',
        connId: 1,
        code: WsClose.TOO_MANY_SOCKETS,
        reason: 'too many sockets for this account',
      },
    ]);
    expect(r.openOf('u')).toBe(3);
    // A socket closing makes room; closing one twice (or one already shed) changes nothing.
    r.closed(2, 2);
    r.closed(2, 2);
    r.closed(2, 1);
    expect(r.openOf('u')).toBe(2);
    expect(r.opened(2, 3, 'u', 's4')).toEqual([]);
    expect(r.openOf('other')).toBe(0);
  });

  it('forgets everything of a worker that is gone', () => {
    const r = new SocketRegistry(limits);
    r.admit(1, 'a');
    r.admit(1, 'a');
    r.admit(2, 'b');
    r.opened(1, 1, 'u', 's');
    r.opened(2, 1, 'u', 's');
    r.dropWorker(1);
    expect(r.pendingCount).toBe(1);
    expect(r.openOf('u')).toBe(1);
    expect(r.admit(3, 'a')).toBeUndefined();
    r.dropWorker(2);
    expect(r.openOf('u')).toBe(0);
  });
});

describe('how many socket workers', () => {
  const allInOne = ['sql', 'auth', 'message', 'gateway'];
  it('auto: one per core for the all-in-one, one for a gateway alone, none without a gateway', () => {
    expect(workerCount('auto', allInOne, 4)).toBe(4);
    expect(workerCount('auto', allInOne, 1)).toBe(1);
    expect(workerCount('auto', ['http-server', 'rpc', 'gateway'], 8)).toBe(1);
    expect(workerCount('auto', ['sql', 'auth'], 8)).toBe(1);
    expect(workerCount(3, allInOne, 1)).toBe(3);
    expect(workerCount(3, ['sql', 'auth'], 8)).toBe(1);
  });

  it('none by default: one process unless --workers or server.workers asks (docs/performance.md)', () => {
    const config = loadConfig(configSchema, { env: {} });
    expect(config.server.workers).toBe(1);
    expect(workerCount(config.server.workers, allInOne, 8)).toBe(1);
    expect(loadConfig(configSchema, { env: { MYCHAT_SERVER_WORKERS: 'auto' } }).server.workers).toBe('auto');
    expect(() => loadConfig(configSchema, { env: { MYCHAT_SERVER_WORKERS: 'many' } })).toThrow(ConfigError);
  });

  it("gives workers the primary's node flags without the large young generation", () => {
    expect(
      workerExecArgv(['--max-semi-space-size=64', '--cpu-prof', '--max-semi-space-size', '--trace-gc']),
    ).toEqual(['--cpu-prof', '--trace-gc']);
    expect(workerNodeOptions('--max-semi-space-size=64  --enable-source-maps')).toBe('--enable-source-maps');
    expect(workerNodeOptions(undefined)).toBeUndefined();
  });

  it("counts the cores a container's CPU quota allows, not the host's", () => {
    const files = (f: Record<string, string>) => (name: string) => f[name];
    expect(usableCores(64, files({ '/sys/fs/cgroup/cpu.max': '200000 100000\n' }))).toBe(2);
    expect(usableCores(64, files({ '/sys/fs/cgroup/cpu.max': '150000 100000' }))).toBe(2);
    expect(usableCores(64, files({ '/sys/fs/cgroup/cpu.max': '50000 100000' }))).toBe(1);
    expect(usableCores(4, files({ '/sys/fs/cgroup/cpu.max': 'max 100000' }))).toBe(4);
    expect(usableCores(8, files({ '/sys/fs/cgroup/cpu.max': '1600000 100000' }))).toBe(8);
    const v1 = {
      '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '300000',
      '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000',
    };
    expect(usableCores(16, files(v1))).toBe(3);
    expect(usableCores(16, files({ '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1' }))).toBe(16);
    expect(usableCores(6, files({}))).toBe(6);
  });
});
