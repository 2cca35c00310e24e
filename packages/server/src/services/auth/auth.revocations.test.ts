import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryKv } from '../../adapters/kv/memory.kv.js';
import { manualClock } from '../../kernel/clock.js';
import { SessionRevocations } from '../../contracts/sessions.js';
import { backendAvailable } from '../../../test/helpers/backends.js';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/sql-databases.js';
import { authMigrations } from './auth.migrations.js';
import { AuthRepository } from './auth.repository.js';
import { RevocationRefill } from './auth.revocations.js';

/** The refill's SQL range and the TTLs it restores, on every engine. */
for (const engine of ['sqlite', 'mysql', 'postgres'] as const) {
  const ok = engine === 'sqlite' || (await backendAvailable(engine));

  describe.skipIf(!ok)(`revocation refill on ${engine}`, () => {
    let t: TestDatabase;
    let repo: AuthRepository;
    const big = (n: number) => (9_007_199_254_740_993n + BigInt(n)).toString();
    const ttlMs = 660_000;
    const now = 1_800_000_000_000;

    beforeAll(async () => {
      t = await openTestDatabase(engine);
      await t.sql.migrate('auth', authMigrations);
      repo = new AuthRepository(t.sql);
      const session = (n: number) => ({
        id: big(n),
        userId: big(1),
        clientType: 'web',
        deviceId: `d${n}`,
        deviceName: 'x',
        createdAt: now - 3_600_000,
        lastActiveAt: now - 3_600_000,
        expiresAt: now + 86_400_000,
      });
      for (const n of [10, 11, 12, 13]) await repo.insertSession(session(n), `${n}`.padStart(64, '0'));
      await repo.revokeSessions([big(10)], 'logout', now - 60_000); // its tokens still live
      await repo.revokeSessions([big(11)], 'kicked', now - ttlMs - 1); // every token expired
      await repo.revokeSessions([big(12)], 'password_changed', now - ttlMs); // its last token expires now
    });
    afterAll(() => t?.dispose());

    it('restores the sessions ended within the TTL, with their reason and remaining lifetime', async () => {
      const kv = createMemoryKv();
      const revocations = new SessionRevocations(kv, ttlMs);
      const refill = new RevocationRefill({
        repo,
        revocations,
        clock: manualClock(now),
        logger: pino({ level: 'silent' }),
      });
      // An empty kv vouches for nobody.
      await expect(revocations.reason(big(13))).rejects.toMatchObject({ reason: 'UNAVAILABLE' });

      expect(await refill.refill()).toBe(1);
      expect(await revocations.reason(big(10))).toBe('logout');
      expect(await revocations.reason(big(11))).toBeNull();
      expect(await revocations.reason(big(12))).toBeNull();
      expect(await revocations.reason(big(13))).toBeNull();
      const left = await kv.pttl(`auth:revoked:${big(10)}`);
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(ttlMs - 60_000);
      await kv.close();
    });
  });
}
