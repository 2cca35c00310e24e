import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, startTcpEntry, type Cluster, type TcpEntry } from '@mychat/server/dev/cluster';
import { backendAvailable, backendUrls } from '../helpers/backends.js';
import {
  expectIntact,
  inBatches,
  makePairs,
  sendSeries,
  serverHistory,
  type Pair,
} from '../helpers/chat-pairs.js';
import { clusterTestEnv } from '../helpers/cluster-env.js';
import { RedisProcess } from '../helpers/redis-process.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const closeAll = (pairs: Pair[]) =>
  Promise.all(pairs.flatMap((p) => [p.a.client.close(), p.b.client.close()]));
const log = (what: string, data: Record<string, unknown>) =>
  process.stdout.write(`[faults.cluster] ${what} ${JSON.stringify(data)}\n`);

/**
 * Faults of the split deployment, each its own test: a gateway SIGKILLed under load, the
 * message service restarted, Redis restarted empty, a gateway cut from the bus for 20 s.
 * The promise under test: nothing acknowledged is lost or doubled, and every client ends
 * up with every message once, in order.
 */
describe.skipIf(!((await backendAvailable('postgres')) && (await backendAvailable('redis'))))(
  'faults of the loopback cluster (PostgreSQL + Redis)',
  () => {
    let cluster: Cluster;
    const stored = () => serverHistory(cluster.process('message').rpcUrl, cluster.internalToken);

    beforeAll(async () => {
      cluster = await startCluster({
        sql: backendUrls.postgres,
        redisUrl: backendUrls.redis,
        env: clusterTestEnv,
      });
    }, 90_000);
    afterAll(() => cluster?.stop());

    it('SIGKILL of one gateway while 200 clients chat: they reconnect through the other, nothing lost or doubled', async () => {
      const setupStarted = Date.now();
      const pairs = await makePairs({
        count: 100,
        codeFor: (e) => cluster.codeFor(e),
        urlA: cluster.baseUrl,
        urlB: cluster.baseUrl,
        concurrency: 10,
      });
      try {
        await inBatches(pairs, 50, (p) => Promise.all([p.a.client.connect(), p.b.client.connect()]));
        log('200 clients signed up, paired and connected', { setup_ms: Date.now() - setupStarted });
        const perSide = 10;
        const started = Date.now();
        const chatting = Promise.all(
          pairs.flatMap((p) => [
            sendSeries(p.a, p.conv, perSide, 300, 'a'),
            sendSeries(p.b, p.conv, perSide, 300, 'b'),
          ]),
        );
        const acked = () => pairs.reduce((n, p) => n + p.a.acked.length + p.b.acked.length, 0);
        while (acked() < 600) await sleep(10);
        await cluster.killGateway(0);
        const killedAt = Date.now();
        const ackedAtKill = acked();
        await chatting;
        // How long after the kill the sends still in flight were acknowledged.
        const after = pairs
          .flatMap((p) => [...p.a.ackedAt, ...p.b.ackedAt])
          .filter((t) => t > killedAt)
          .map((t) => t - killedAt)
          .sort((x, y) => x - y);
        const at = (q: number) => after[Math.min(after.length - 1, Math.floor(q * after.length))] ?? 0;
        const milestones = { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) };
        const failed = pairs.reduce((n, p) => n + p.a.failed.length + p.b.failed.length, 0);
        log('gateway SIGKILL', {
          ms_after_kill_until_acked: milestones,
          acked_at_kill: ackedAtKill,
          acked: acked(),
          failed,
          send_phase_ms: Date.now() - started,
        });
        expect(failed).toBe(0);
        expect(acked()).toBe(pairs.length * 2 * perSide);
        await inBatches(pairs, 20, (p) => expectIntact(p, stored()));
        log('gateway SIGKILL: all intact', { ms_after_kill_to_verified: Date.now() - started });
      } finally {
        await closeAll(pairs);
        await cluster.process('gateway-1').start();
      }
    }, 240_000);

    it('the message service restarts: sends during the outage wait and then succeed; nothing lost or doubled', async () => {
      const pairs = await makePairs({
        count: 10,
        codeFor: (e) => cluster.codeFor(e),
        urlA: cluster.baseUrl,
        urlB: cluster.baseUrl,
      });
      try {
        await Promise.all(pairs.flatMap((p) => [p.a.client.connect(), p.b.client.connect()]));
        const chatting = Promise.all(
          pairs.flatMap((p) => [
            sendSeries(p.a, p.conv, 30, 100, 'a'),
            sendSeries(p.b, p.conv, 30, 100, 'b'),
          ]),
        );
        await sleep(800);
        const down = Date.now();
        await cluster.process('message').kill();
        await sleep(1_000); // an outage, not just a blip
        await cluster.process('message').start();
        const upAfterMs = Date.now() - down;
        await chatting;
        const failed = pairs.reduce((n, p) => n + p.a.failed.length + p.b.failed.length, 0);
        log('message service SIGKILL + start', { outage_ms: upAfterMs, failed });
        expect(failed).toBe(0);
        await inBatches(pairs, 10, (p) => expectIntact(p, stored()));
      } finally {
        await closeAll(pairs);
      }
    }, 90_000);
  },
);

/**
 * Redis itself fails: a private redis-server (never the shared one) that the test kills and
 * restarts empty, and a cable (a TCP proxy) between gateway-1 and Redis that the test cuts.
 */
describe.skipIf(!(await backendAvailable('postgres')))('faults of Redis under the loopback cluster', () => {
  let cluster: Cluster;
  let redis: RedisProcess;
  let cable: TcpEntry;
  const stored = () => serverHistory(cluster.process('message').rpcUrl, cluster.internalToken);

  beforeAll(async () => {
    redis = await RedisProcess.start();
    cable = await startTcpEntry({
      host: '127.0.0.1',
      port: 0,
      backends: [{ host: '127.0.0.1', port: redis.port }],
    });
    cluster = await startCluster({
      sql: backendUrls.postgres,
      redisUrl: redis.url,
      env: clusterTestEnv,
      // gateway-1 reaches Redis through the cable only.
      envFor: { 'gateway-1': { MYCHAT_REDIS_URL: `redis://127.0.0.1:${cable.port}` } },
    });
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
    await cable?.close();
    await redis?.kill();
  });

  it('Redis restarts empty: hints published meanwhile are lost, and sync repairs within seconds', async () => {
    const [g1, g2] = cluster.gateways.map((g) => g.httpUrl) as [string, string];
    const pairs = await makePairs({ count: 10, codeFor: (e) => cluster.codeFor(e), urlA: g1, urlB: g2 });
    try {
      await Promise.all(pairs.flatMap((p) => [p.a.client.connect(), p.b.client.connect()]));
      await Promise.all(pairs.flatMap((p) => [sendSeries(p.a, p.conv, 3, 0, 'before')]));
      await redis.kill();
      const down = Date.now();
      await redis.start();
      // Sent at once: the message service's publisher reconnects before the gateways have
      // resubscribed, so these hints go to nobody.
      await Promise.all(pairs.flatMap((p) => [sendSeries(p.b, p.conv, 5, 0, 'after')]));
      const failed = pairs.reduce((n, p) => n + p.a.failed.length + p.b.failed.length, 0);
      await inBatches(pairs, 10, (p) => expectIntact(p, stored(), 15_000));
      const repairedMs = Date.now() - down;
      log('redis restart', { repaired_ms: repairedMs, failed });
      expect(repairedMs).toBeLessThan(15_000);
    } finally {
      await closeAll(pairs);
    }
  }, 90_000);

  it('a gateway cut from the bus for 20 s: its clients receive everything once the cable is back', async () => {
    const [g1, g2] = cluster.gateways.map((g) => g.httpUrl) as [string, string];
    // Receivers (b) on gateway-1, whose Redis goes through the cable; senders (a) on gateway-2.
    const pairs = await makePairs({ count: 10, codeFor: (e) => cluster.codeFor(e), urlA: g2, urlB: g1 });
    try {
      await Promise.all(pairs.flatMap((p) => [p.a.client.connect(), p.b.client.connect()]));
      await Promise.all(pairs.map((p) => sendSeries(p.a, p.conv, 2, 0, 'before')));
      await inBatches(pairs, 10, (p) => expectIntact(p, stored()));
      cable.pause();
      const seenAtCut = pairs.map((p) => p.b.seen.length);
      await Promise.all(pairs.map((p) => sendSeries(p.a, p.conv, 10, 1_000, 'during'))); // ~10 s
      await sleep(10_000);
      // Nothing reached gateway-1's clients: the cut was real.
      expect(pairs.map((p) => p.b.seen.length)).toEqual(seenAtCut);
      const healed = Date.now();
      cable.resume();
      await inBatches(pairs, 10, (p) => expectIntact(p, stored(), 20_000));
      log('bus cut 20 s', { caught_up_ms_after_heal: Date.now() - healed });
    } finally {
      await closeAll(pairs);
    }
  }, 120_000);
});
