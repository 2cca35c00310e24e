import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryKv } from '../../adapters/kv/memory.kv.js';
import { manualClock } from '../../kernel/clock.js';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/sql-databases.js';
import { PushDispatch, type Outgoing } from './push.dispatch.js';
import { pushMigrations } from './push.migrations.js';
import { DEFAULT_SETTINGS, PushRepository } from './push.repository.js';
import { PushMetrics, type PushOutcome, type PushSender } from './push.sender.js';

describe('PushDispatch', () => {
  let t: TestDatabase;
  let repo: PushRepository;
  const clock = manualClock(Date.UTC(2026, 0, 15, 12, 0));
  const sent: { sub: string; body: string }[] = [];
  let outcome: PushOutcome = 'ok';
  const sender = {
    send: async (s: { id: string }, body: string) => {
      sent.push({ sub: s.id, body });
      return outcome;
    },
  } as unknown as PushSender;
  let live = new Set<string>(['10', '11']);
  let dispatch: PushDispatch;

  beforeAll(async () => {
    t = await openTestDatabase('sqlite');
    await t.sql.migrate('push', pushMigrations);
    repo = PushRepository.of(t.sql);
    dispatch = new PushDispatch({
      repo,
      sender,
      kv: createMemoryKv(),
      clock,
      logger: pino({ level: 'silent' }),
      metrics: new PushMetrics(new Registry()),
      liveSessions: async (ids) => new Set(ids.filter((i) => live.has(i))),
      onNoSubscriptions: () => undefined,
      ttlSeconds: 43_200,
      perUserPerMinute: 3,
      maxFailures: 2,
    });
    for (const [id, session] of [
      ['1', '10'],
      ['2', '11'],
    ] as const)
      await repo.saveSubscription({
        id,
        userId: '7',
        sessionId: session,
        clientType: 'web',
        deviceName: '',
        endpoint: `https://push.example/${id}`,
        p256dh: 'x',
        auth: 'y',
        createdAt: 0,
        lastOkAt: 0,
        failures: 0,
      });
  });
  afterAll(() => t?.dispose());

  const item = (o: Partial<Outgoing> = {}): Outgoing => ({
    userId: '7',
    topic: '55',
    payload: { v: 1, kind: 'message', conversationId: '55', url: '/chat/55', at: clock.now() },
    urgency: 'normal',
    settings: DEFAULT_SETTINGS,
    eventAt: clock.now(),
    ...o,
  });

  it('sends to every live device, and caps pushes per user per minute (clears excepted)', async () => {
    sent.length = 0;
    for (let i = 0; i < 5; i++) await dispatch.deliver([item()]);
    expect(sent).toHaveLength(3 * 2);
    await dispatch.deliver([
      item({ payload: { v: 1, kind: 'clear', conversationId: '55', url: '/', at: 0 } }),
    ]);
    expect(sent).toHaveLength(8);
    clock.advance(60_000);
    await dispatch.deliver([item()]);
    expect(sent).toHaveLength(10);
  });

  it('holds a normal push in DND but lets a high one through', async () => {
    sent.length = 0;
    const dnd = { ...DEFAULT_SETTINGS, dndEnabled: true, dndStart: 0, dndEnd: 1439 };
    clock.advance(60_000);
    await dispatch.deliver([
      item({ settings: dnd, topic: '56' }),
      item({ settings: dnd, urgency: 'high', topic: '57' }),
    ]);
    expect(sent.map((s) => JSON.parse(s.body) as unknown)).toHaveLength(2);
    expect(await repo.due(clock.now() + 86_400_000)).toHaveLength(1);
  });

  it('prunes devices whose session ended, and after repeated failures', async () => {
    sent.length = 0;
    live = new Set(['10']);
    clock.advance(60_000);
    outcome = 'failed';
    await dispatch.deliver([item()]);
    expect(await repo.bySession('11')).toBeUndefined();
    expect(sent.map((s) => s.sub)).toEqual(['1']);
    clock.advance(60_000);
    await dispatch.deliver([item()]);
    expect(await repo.bySession('10')).toBeUndefined();
  });
});
