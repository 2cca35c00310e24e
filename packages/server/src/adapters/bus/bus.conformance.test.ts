import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { backendAvailable, backendUrls, uniqueName } from '../../../test/helpers/backends.js';
import type { Bus, BusHandler } from './bus.js';
import { openBus } from './open-bus.js';
import { inProcessPrimary, type InProcessPrimary } from '../../workers/in-process.test-helpers.js';

interface BusBackend {
  name: string;
  available: () => Promise<boolean>;
  open: (prefix: string, logger: Logger, clientName?: string) => Promise<Bus>;
  /** Whether two instances with one prefix reach each other (true for a real server). */
  shared: boolean;
}

/** A handler that records what it got, and a way to wait for it. */
function collector() {
  const got: Array<{ payload: Buffer; channel: string }> = [];
  const handler: BusHandler = (payload, channel) => {
    got.push({ payload: Buffer.from(payload), channel });
  };
  const texts = () => got.map((m) => m.payload.toString());
  const waitFor = async (count: number, timeoutMs = 3000) => {
    const deadline = Date.now() + timeoutMs;
    while (got.length < count) {
      if (Date.now() > deadline)
        throw new Error(`got ${got.length} of ${count} messages: ${texts().join(',')}`);
      await sleep(5);
    }
  };
  return { got, handler, texts, waitFor };
}

function logCapture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

const text = (s: string) => new TextEncoder().encode(s);
const silent = pino({ level: 'silent' });

/** The one suite every bus backend must pass. */
function busConformance(backend: BusBackend): void {
  const run = uniqueName('bustest');
  const opened: Bus[] = [];
  const open = async (sub = 'main', logger: Logger = silent) => {
    const bus = await backend.open(`${run}:${sub}:`, logger);
    opened.push(bus);
    return bus;
  };
  let n = 0;
  const chan = () => `u:${++n}`;

  afterAll(async () => {
    await Promise.all(opened.map((b) => b.close()));
  });

  it('delivers a publish with the unprefixed channel name', async () => {
    const bus = await open();
    const c = collector();
    const ch = chan();
    await bus.subscribe(ch, c.handler);
    await bus.publish(ch, text('hello'));
    await c.waitFor(1);
    expect(c.got.map((m) => [m.channel, m.payload.toString()])).toEqual([[ch, 'hello']]);
  });

  it('gives every subscription every message, and nothing from other channels', async () => {
    const bus = await open();
    const [a, b, other] = [collector(), collector(), collector()];
    const ch = chan();
    await bus.subscribe(ch, a.handler);
    await bus.subscribe(ch, b.handler);
    await bus.subscribe(ch, b.handler);
    await bus.subscribe(chan(), other.handler);
    await bus.publish(ch, text('1'));
    await bus.publish(ch, text('2'));
    await a.waitFor(2);
    await b.waitFor(4);
    expect(a.texts()).toEqual(['1', '2']);
    expect(b.texts().sort()).toEqual(['1', '1', '2', '2']);
    expect(other.got).toEqual([]);
  });

  it('stops delivery on unsubscribe, idempotently, while others keep receiving', async () => {
    const bus = await open();
    const [gone, stays] = [collector(), collector()];
    const ch = chan();
    const s = await bus.subscribe(ch, gone.handler);
    await bus.subscribe(ch, stays.handler);
    await bus.publish(ch, text('before'));
    await gone.waitFor(1);
    await s.unsubscribe();
    await s.unsubscribe();
    await bus.publish(ch, text('after'));
    await stays.waitFor(2);
    expect(stays.texts()).toEqual(['before', 'after']);
    expect(gone.texts()).toEqual(['before']);
  });

  it('subscribes again after the last subscription left, even when racing', async () => {
    const bus = await open();
    const ch = chan();
    const first = collector();
    const s = await bus.subscribe(ch, first.handler);
    await s.unsubscribe();
    const a = await bus.subscribe(ch, collector().handler);
    const leaving = a.unsubscribe(); // not awaited: the next subscribe races it
    const later = collector();
    await bus.subscribe(ch, later.handler);
    await leaving;
    await bus.publish(ch, text('x'));
    await later.waitFor(1);
    expect(first.got).toEqual([]);
  });

  it('is active as soon as subscribe resolves, on many fresh channels at once', async () => {
    const bus = await open();
    const channels = Array.from({ length: 30 }, chan);
    const cs = channels.map(() => collector());
    await Promise.all(channels.map((ch, i) => bus.subscribe(ch, cs[i]!.handler)));
    await Promise.all(channels.map((ch) => bus.publish(ch, text(ch))));
    await Promise.all(cs.map((c) => c.waitFor(1)));
    expect(cs.map((c) => c.texts()[0])).toEqual(channels);
  });

  it('publishMany reaches every subscriber of each channel once, in order with single publishes', async () => {
    const bus = await open();
    const channels = Array.from({ length: 5 }, chan);
    const cs = channels.map(() => collector());
    const second = collector(); // a second subscriber of the first channel
    await Promise.all(channels.map((ch, i) => bus.subscribe(ch, cs[i]!.handler)));
    await bus.subscribe(channels[0]!, second.handler);
    const nobody = chan(); // no subscriber: nothing to deliver, no error
    const buf = text('xxmanyxx');
    await bus.publish(channels[0]!, text('before'));
    await bus.publishMany([...channels, nobody], buf.subarray(2, 6));
    buf.fill(0); // the publisher may reuse its buffer at once
    await bus.publish(channels[0]!, text('after'));
    await bus.publishMany([], text('none'));
    await cs[0]!.waitFor(3);
    await second.waitFor(3);
    await Promise.all(cs.map((c) => c.waitFor(1)));
    await sleep(50);
    expect(cs[0]!.texts()).toEqual(['before', 'many', 'after']);
    expect(second.texts()).toEqual(['before', 'many', 'after']);
    for (const [i, c] of cs.slice(1).entries()) {
      expect(c.texts()).toEqual(['many']);
      expect(c.got[0]!.channel).toBe(channels[i + 1]);
    }
  });

  it('carries binary payloads byte for byte, including views into larger buffers', async () => {
    const bus = await open();
    const c = collector();
    const ch = chan();
    await bus.subscribe(ch, c.handler);
    const all = Uint8Array.from({ length: 512 }, (_, i) => i % 256);
    const invalidUtf8 = Uint8Array.from([0xff, 0xfe, 0xc3, 0x28, 0x00, 0xe2, 0x82]);
    const big = randomBytes(256 * 1024);
    const backing = Uint8Array.from([9, 9, 1, 2, 3, 9, 9]);
    const view = backing.subarray(2, 5);
    const sent = [all, invalidUtf8, new Uint8Array(0), big, view];
    for (const p of sent) await bus.publish(ch, p);
    await c.waitFor(sent.length);
    c.got.forEach((m, i) => expect(Buffer.compare(m.payload, Buffer.from(sent[i]!))).toBe(0));
    expect([...c.got[4]!.payload]).toEqual([1, 2, 3]);
  });

  it('keeps publish order, also when publishes are not awaited one by one', async () => {
    const bus = await open();
    const c = collector();
    const ch = chan();
    await bus.subscribe(ch, c.handler);
    const count = 300;
    await Promise.all(Array.from({ length: count }, (_, i) => bus.publish(ch, text(String(i)))));
    await c.waitFor(count);
    expect(c.texts()).toEqual(Array.from({ length: count }, (_, i) => String(i)));
  });

  it('logs a throwing or rejecting handler and still delivers to the others', async () => {
    const { logger, lines } = logCapture();
    const bus = await open('throwing', logger);
    const ok = collector();
    const ch = chan();
    await bus.subscribe(ch, () => {
      throw new Error('handler bug');
    });
    await bus.subscribe(ch, async () => {
      throw new Error('async handler bug');
    });
    await bus.subscribe(ch, ok.handler);
    await bus.publish(ch, text('1'));
    await bus.publish(ch, text('2'));
    await ok.waitFor(2);
    await sleep(10);
    expect(ok.texts()).toEqual(['1', '2']);
    const failures = lines.filter((l) => l.msg === 'bus handler failed');
    expect(failures).toHaveLength(4);
    expect(failures.map((l) => (l.err as { message: string }).message).sort()).toEqual([
      'async handler bug',
      'async handler bug',
      'handler bug',
      'handler bug',
    ]);
  });

  it('isolates instances with different prefixes', async () => {
    const a = await open('iso-a');
    const b = await open('iso-b');
    const [inA, inB] = [collector(), collector()];
    await a.subscribe('same', inA.handler);
    await b.subscribe('same', inB.handler);
    await b.publish('same', text('b-only'));
    await a.publish('same', text('a-only'));
    await inA.waitFor(1);
    await inB.waitFor(1);
    await sleep(20);
    expect([inA.texts(), inB.texts()]).toEqual([['a-only'], ['b-only']]);
  });

  it(`${backend.shared ? 'connects' : 'does not connect'} instances with the same prefix`, async () => {
    const a = await open('shared');
    const b = await open('shared');
    const [inA, inB] = [collector(), collector()];
    await a.subscribe('c', inA.handler);
    await b.subscribe('c', inB.handler);
    await a.publish('c', text('from-a'));
    await inA.waitFor(1);
    if (backend.shared) await inB.waitFor(1);
    else await sleep(20);
    expect(inB.texts()).toEqual(backend.shared ? ['from-a'] : []);
  });

  it('rejects use after close and stops delivery', async () => {
    const bus = await backend.open(`${run}:closed:`, silent);
    const c = collector();
    await bus.subscribe('c', c.handler);
    await bus.close();
    await bus.close();
    await expect(bus.publish('c', text('x'))).rejects.toThrow();
    await expect(bus.subscribe('c', c.handler)).rejects.toThrow();
    expect(c.got).toEqual([]);
  });
}

const primaries = new Map<string, Promise<InProcessPrimary>>();
afterAll(async () => {
  for (const p of primaries.values()) await (await p).close();
});

const backends: BusBackend[] = [
  {
    name: 'memory',
    available: async () => true,
    open: (prefix, logger) => openBus({ prefix, logger }),
    shared: false,
  },
  {
    // A socket worker's bus: each instance is one more worker of the prefix's primary.
    name: 'ipc (socket workers through their primary)',
    available: async () => true,
    open: async (prefix, logger) => {
      let primary = primaries.get(prefix);
      if (!primary) primaries.set(prefix, (primary = inProcessPrimary()));
      return (await (await primary).uplink(logger)).bus;
    },
    shared: true,
  },
  {
    name: 'redis',
    available: () => backendAvailable('redis'),
    open: (prefix, logger, clientName) =>
      openBus({ redisUrl: backendUrls.redis, prefix, logger, clientName }),
    shared: true,
  },
  {
    name: 'nats',
    available: () => backendAvailable('nats'),
    open: (prefix, logger, clientName) => openBus({ busUrl: backendUrls.nats, prefix, logger, clientName }),
    shared: true,
  },
];

for (const backend of backends) {
  describe.skipIf(!(await backend.available()))(`bus conformance: ${backend.name}`, () =>
    busConformance(backend),
  );
}

describe.skipIf(!(await backendAvailable('redis')))('redis bus connection loss', () => {
  it('resubscribes after the subscriber connection is killed', async () => {
    const name = uniqueName('mychat-bus-test');
    const bus = await openBus({
      redisUrl: backendUrls.redis,
      prefix: `${name}:`,
      clientName: name,
      logger: silent,
    });
    const admin = new Redis(backendUrls.redis);
    try {
      const c = collector();
      let resumed = 0;
      bus.onResume(() => resumed++);
      await bus.subscribe('u:1', c.handler);
      const list = (await admin.call('CLIENT', 'LIST')) as string;
      const line = list.split('\n').find((l) => l.includes(` name=${name}-sub `));
      const id = line?.match(/^id=(\d+)/)?.[1];
      expect(id).toBeDefined();
      expect(await admin.call('CLIENT', 'KILL', 'ID', id!)).toBe(1);
      // Messages while the subscriber is away are lost by contract: publish until one arrives.
      const deadline = Date.now() + 5000;
      while (c.got.length === 0 && Date.now() < deadline) {
        await bus.publish('u:1', text('after-reconnect'));
        await sleep(50);
      }
      expect(c.texts()[0]).toBe('after-reconnect');
      await expect.poll(() => resumed).toBe(1);
    } finally {
      await bus.close();
      await admin.quit();
    }
  });
});

describe('nats subjects', () => {
  it('escapes what NATS reads as separators and wildcards, and nothing else', async () => {
    const { natsSubject } = await import('./nats.bus.js');
    expect(natsSubject('mychat:', 'u:123')).toBe('mychat:u:123');
    expect(natsSubject('p.', 'a.b*c>d e%')).toBe('p%2Ea%2Eb%2Ac%3Ed%20e%25');
  });
});

describe.skipIf(!(await backendAvailable('nats')))('nats bus connection loss', () => {
  it('resubscribes and tells onResume after its connection is cut', async () => {
    const { startTcpEntry } = await import('@mychat/server/dev/cluster');
    const nats = new URL(backendUrls.nats);
    const cable = await startTcpEntry({
      host: '127.0.0.1',
      port: 0,
      backends: [{ host: nats.hostname, port: Number(nats.port) }],
    });
    const name = uniqueName('mychat-bus-test');
    const cutOff = await openBus({
      busUrl: `nats://127.0.0.1:${cable.port}`,
      prefix: `${name}:`,
      clientName: name,
      logger: silent,
    });
    const publisher = await openBus({ busUrl: backendUrls.nats, prefix: `${name}:`, logger: silent });
    try {
      const c = collector();
      let resumed = 0;
      cutOff.onResume(() => resumed++);
      await cutOff.subscribe('u:1', c.handler);
      cable.pause();
      await publisher.publish('u:1', text('while-cut')); // lost, by contract
      await sleep(300);
      cable.resume();
      const deadline = Date.now() + 5000;
      while (resumed === 0 && Date.now() < deadline) await sleep(20);
      expect(resumed).toBe(1);
      await publisher.publish('u:1', text('after'));
      await c.waitFor(1);
      expect(c.texts()).toEqual(['after']);
    } finally {
      await Promise.all([cutOff.close(), publisher.close()]);
      await cable.close();
    }
  });
});
