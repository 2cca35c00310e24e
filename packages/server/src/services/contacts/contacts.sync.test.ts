import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createMemoryKv } from '../../adapters/kv/memory.kv.js';
import { ConversationSync, KvMutex } from './contacts.sync.js';

const logger = pino({ level: 'silent' });

/** Several contacts processes share one kv (Redis in a cluster); here, one memory kv. */
describe('contacts sync across processes', () => {
  it('runs tasks of one key one at a time across mutexes sharing a kv, and others in parallel', async () => {
    const kv = createMemoryKv();
    const [a, b] = [new KvMutex(kv, 5_000, 5_000), new KvMutex(kv, 5_000, 5_000)];
    let inside = 0;
    let most = 0;
    const order: string[] = [];
    const task = (name: string) => async () => {
      most = Math.max(most, ++inside);
      await sleep(15);
      order.push(name);
      inside--;
    };
    await Promise.all([a.run('d:1:2', task('a1')), b.run('d:1:2', task('b1')), a.run('d:1:2', task('a2'))]);
    expect(most).toBe(1);
    expect(order.sort()).toEqual(['a1', 'a2', 'b1']);
    inside = most = 0;
    await Promise.all([a.run('d:1:2', task('x')), b.run('g:9', task('y'))]);
    expect(most).toBe(2);
    await kv.close();
  });

  it('frees the lock of a holder that died once its TTL passes, and gives up after waitMs', async () => {
    const kv = createMemoryKv();
    await kv.set('contacts:sync-lock:d:1:2', 'a process that was SIGKILLed', { ttlMs: 80 });
    const patient = new KvMutex(kv, 5_000, 2_000);
    const t0 = Date.now();
    await patient.run('d:1:2', async () => undefined);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(70);
    await kv.set('contacts:sync-lock:g:7', 'stuck', { ttlMs: 10_000 });
    await expect(new KvMutex(kv, 5_000, 50).run('g:7', async () => 'ran')).rejects.toMatchObject({
      code: expect.anything(),
    });
    await kv.close();
  });

  it('lets one process per interval run the repair loop, and another take over when it stops', async () => {
    const kv = createMemoryKv();
    const rounds: string[] = [];
    const process = (name: string) =>
      new ConversationSync({
        contacts: {
          pendingSync: async () => {
            rounds.push(name);
            return [];
          },
        } as never,
        groups: {} as never,
        conversations: {} as never,
        kv,
        clock: { now: () => Date.now() },
        logger,
        repairIntervalMs: 100,
      });
    const [one, two, three] = [process('one'), process('two'), process('three')];
    for (let i = 0; i < 3; i++) await Promise.all([one.tick(), two.tick(), three.tick()]);
    expect(rounds).toEqual(['one', 'one', 'one']);
    // "one" dies: its lease runs out and another process takes the loop over.
    await sleep(200);
    rounds.length = 0;
    await Promise.all([two.tick(), three.tick()]);
    await Promise.all([two.tick(), three.tick()]);
    expect(rounds).toHaveLength(2);
    expect(new Set(rounds).size).toBe(1);
    await kv.close();
  });
});
