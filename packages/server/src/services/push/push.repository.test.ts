import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendAvailable } from '../../../test/helpers/backends.js';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/sql-databases.js';
import { pushMigrations } from './push.migrations.js';
import { DEFAULT_SETTINGS, PushRepository, type SubscriptionRow } from './push.repository.js';

/** The push SQL on every engine. */
for (const engine of ['sqlite', 'mysql', 'postgres'] as const) {
  const ok = engine === 'sqlite' || (await backendAvailable(engine));

  describe.skipIf(!ok)(`push repository on ${engine}`, () => {
    let t: TestDatabase;
    let repo: PushRepository;
    // Ids past 2^53 prove they travel as exact strings on every driver.
    const big = (n: number) => (9_007_199_254_740_993n + BigInt(n)).toString();
    const sub = (
      n: number,
      user: number,
      session: number,
      endpoint = `https://push.example/${n}`,
    ): SubscriptionRow => ({
      id: big(n),
      userId: big(user),
      sessionId: big(session),
      clientType: 'web',
      deviceName: 'Chrome',
      endpoint,
      p256dh: 'BP',
      auth: 'au',
      createdAt: 1000 + n,
      lastOkAt: 0,
      failures: 0,
    });

    beforeAll(async () => {
      t = await openTestDatabase(engine);
      await t.sql.migrate('push', pushMigrations);
      repo = PushRepository.of(t.sql);
    });
    afterAll(() => t?.dispose());

    it('keeps one subscription per session and per endpoint', async () => {
      await repo.saveSubscription(sub(1, 1, 10));
      await repo.saveSubscription(sub(2, 1, 10, 'https://push.example/other'));
      expect((await repo.byUser(big(1))).map((s) => s.id)).toEqual([big(2)]);
      // The same browser endpoint signed in as someone else moves to that session.
      await repo.saveSubscription(sub(3, 2, 20, 'https://push.example/other'));
      expect(await repo.byUser(big(1))).toEqual([]);
      expect((await repo.bySession(big(20)))?.userId).toBe(big(2));
      await Promise.all([repo.saveSubscription(sub(4, 3, 30)), repo.saveSubscription(sub(5, 3, 30))]);
      expect(await repo.byUser(big(3))).toHaveLength(1);
    });

    it('deletes by endpoint (own only), by sessions and by id; counts failures', async () => {
      await repo.saveSubscription(sub(6, 4, 40, 'https://push.example/six'));
      expect(await repo.deleteByEndpoint(big(5), 'https://push.example/six')).toBe(false);
      expect(await repo.markFailed(big(6))).toBe(1);
      expect(await repo.markFailed(big(6))).toBe(2);
      await repo.markOk(big(6), 5000);
      expect(await repo.bySession(big(40))).toMatchObject({ failures: 0, lastOkAt: 5000 });
      expect(await repo.deleteByEndpoint(big(4), 'https://push.example/six')).toBe(true);
      await repo.saveSubscription(sub(7, 4, 41));
      await repo.saveSubscription(sub(8, 4, 42));
      expect(await repo.deleteBySessions([big(41), big(42), big(43)])).toBe(2);
      await repo.saveSubscription(sub(9, 4, 44));
      expect(await repo.deleteById(big(9))).toBe(true);
      expect(await repo.byUsers([big(4)])).toEqual([]);
    });

    it('lists subscribed users page by page', async () => {
      const first = await repo.subscribedUsersAfter('0');
      expect(first.userIds).toEqual(expect.arrayContaining([big(2), big(3)]));
      const after = await repo.subscribedUsersAfter(first.lastId);
      expect(after).toEqual({ userIds: [], lastId: first.lastId });
    });

    it('stores settings and returns defaults for users without them', async () => {
      expect(await repo.settings(big(50))).toEqual(DEFAULT_SETTINGS);
      const s = { preview: true, dndEnabled: true, dndStart: 60, dndEnd: 420, timeZone: 'Asia/Shanghai' };
      await repo.saveSettings(big(50), s, 1);
      await repo.saveSettings(big(50), { ...s, dndStart: 61 }, 2);
      expect(await repo.settings(big(50))).toEqual({ ...s, dndStart: 61 });
      expect([...(await repo.settingsOf([big(50), big(51)])).keys()]).toEqual([big(50)]);
    });

    it('holds one push per user and topic, released once', async () => {
      const h = { userId: big(60), topic: '123', payload: '{"a":1}', urgency: 'normal', releaseAt: 100 };
      await repo.hold(h, 1);
      await repo.hold({ ...h, payload: '{"a":2}', releaseAt: 200 }, 2);
      expect(await repo.due(150)).toEqual([]);
      const [due] = await repo.due(200);
      expect(due).toEqual({ ...h, payload: '{"a":2}', releaseAt: 200 });
      // Two takers at once (two pool connections on a server engine): exactly one wins, either.
      const taken = await Promise.all([repo.take(due!), repo.take(due!)]);
      expect(taken.filter(Boolean)).toHaveLength(1);
      await repo.hold(h, 3);
      await repo.dropHeld(h.userId, h.topic);
      expect(await repo.due(1000)).toEqual([]);
    });
  });
}
