import { fromBinary } from '@bufbuild/protobuf';
import { gateway } from '@mychat/protocol';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBus } from '../../adapters/bus/memory.bus.js';
import { createMemoryKv } from '../../adapters/kv/memory.kv.js';
import { userChannel } from '../../contracts/push-envelope.js';
import { lastSeenKey, presenceKey, presenceOf } from '../../contracts/presence-keys.js';
import { PresenceTracker } from './ws-presence.js';

/** The presence rules without sockets: two trackers on one kv stand for two gateways. */
describe('PresenceTracker', () => {
  const logger = pino({ level: 'silent' });
  const kv = createMemoryKv();
  const bus = createMemoryBus({ logger });
  let t = 0;
  const heard: gateway.PresenceEvent[] = [];
  afterEach(() => void (heard.length = 0));

  let instances = 0;
  const tracker = (
    audience: (id: string) => Promise<readonly string[]> = async () => ['friend'],
    ttlMs = 10_000,
  ) =>
    new PresenceTracker({
      instanceId: `gw-${++instances}`,
      kv,
      bus,
      logger,
      clock: { now: () => 1_000_000 + t },
      now: () => t,
      audience,
      ttlMs,
      refreshMs: Math.min(1_000, ttlMs / 3),
      debounceMs: 100,
    });
  const settle = () => new Promise((r) => setTimeout(r, 20));

  beforeAll(async () => {
    await bus.subscribe(userChannel('friend'), (p) => {
      const f = fromBinary(gateway.PushEnvelopeSchema, p).frame;
      const sf = fromBinary(gateway.ServerFrameSchema, f);
      if (sf.body.case === 'presence') heard.push(sf.body.value);
    });
  });
  afterAll(async () => {
    await bus.close();
    await kv.close();
  });

  it('announces offline only when the user left every gateway', async () => {
    const a = tracker();
    const b = tracker();
    a.online('u1');
    b.online('u1');
    await settle();
    expect(heard.map((e) => e.online)).toEqual([true]);
    expect(await kv.leaseCount(presenceKey('u1'))).toBe(2);
    a.offline('u1');
    t += 200;
    a.tick(t);
    await settle();
    expect(heard.map((e) => e.online)).toEqual([true]);
    expect((await presenceOf(kv, ['u1']))[0]!.online).toBe(true);
    b.offline('u1');
    t += 200;
    b.tick(t);
    await settle();
    expect(heard.map((e) => [e.userId, e.online, e.lastSeenMs])).toEqual([
      ['u1', true, 0],
      ['u1', false, 1_000_000 + t],
    ]);
    expect(await kv.leaseCount(presenceKey('u1'))).toBe(0);
    expect(await kv.get(lastSeenKey('u1'))).toBe(String(1_000_000 + t));
  });

  it('announces nothing when the user comes back within the debounce', async () => {
    const a = tracker();
    a.online('u2');
    await settle();
    a.offline('u2');
    t += 50;
    a.tick(t);
    a.online('u2');
    t += 500;
    a.tick(t);
    await settle();
    expect(heard.map((e) => e.online)).toEqual([true]);
    expect(await kv.leaseCount(presenceKey('u2'))).toBe(1);
  });

  it('renews the marker TTL while the user stays, and recreates a marker that vanished', async () => {
    const a = tracker();
    a.online('u3');
    await settle();
    await kv.del(presenceKey('u3'));
    t += 1_500;
    a.tick(t);
    await settle();
    expect(await kv.leaseCount(presenceKey('u3'))).toBe(1);
    expect(await kv.pttl(presenceKey('u3'))).toBeGreaterThan(0);
  });

  it('logs and skips a transition whose audience cannot be fetched', async () => {
    const a = tracker(async () => {
      throw new Error('contacts unavailable');
    });
    a.online('u4');
    await settle();
    expect(heard).toEqual([]);
    expect(await kv.leaseCount(presenceKey('u4'))).toBe(1);
  });

  it('flush (shutdown) uncounts every user without announcing', async () => {
    const a = tracker();
    a.online('u5');
    await settle();
    heard.length = 0;
    await a.flush();
    await settle();
    expect(heard).toEqual([]);
    expect(await kv.leaseCount(presenceKey('u5'))).toBe(0);
  });

  it('announces offline once the lease of a gateway that died expires', async () => {
    const dead = tracker(undefined, 150);
    const b = tracker(undefined, 150);
    dead.online('u6'); // this gateway is SIGKILLed: it never removes its lease
    await settle();
    b.online('u6');
    await settle();
    expect(heard.map((e) => e.online)).toEqual([true]);
    b.offline('u6');
    t += 200;
    b.tick(t);
    await settle();
    expect(heard.map((e) => e.online)).toEqual([true]); // the dead lease still counts
    expect(await kv.leaseCount(presenceKey('u6'))).toBe(1);
    await new Promise((r) => setTimeout(r, 200)); // the dead lease expires (kv time)
    t += 400;
    b.tick(t);
    await settle();
    expect(heard.map((e) => [e.userId, e.online])).toEqual([
      ['u6', true],
      ['u6', false],
    ]);
    expect((await presenceOf(kv, ['u6']))[0]!.online).toBe(false);
  });
});
