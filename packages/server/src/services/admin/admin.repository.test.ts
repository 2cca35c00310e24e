import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendAvailable } from '../../../test/helpers/backends.js';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/sql-databases.js';
import { authMigrations } from '../auth/auth.migrations.js';
import { AccountFlagsRepository } from '../auth/auth.flags.repository.js';
import { AuthRepository } from '../auth/auth.repository.js';
import { adminMigrations } from './admin.migrations.js';
import {
  AdminRepository,
  REPORT_KEPT,
  REPORT_OPEN,
  REPORT_REMOVED,
  type ReportRow,
} from './admin.repository.js';

/** The console's SQL (and auth's account flags) on every engine. */
for (const engine of ['sqlite', 'mysql', 'postgres'] as const) {
  const ok = engine === 'sqlite' || (await backendAvailable(engine));

  describe.skipIf(!ok)(`admin repository on ${engine}`, () => {
    let t: TestDatabase;
    let repo: AdminRepository;
    let flags: AccountFlagsRepository;
    let users: AuthRepository;
    // Ids past 2^53 prove they travel as exact strings on every driver.
    const big = (n: number) => (9_007_199_254_740_993n + BigInt(n)).toString();

    beforeAll(async () => {
      t = await openTestDatabase(engine);
      await t.sql.migrate('admin', adminMigrations);
      await t.sql.migrate('auth', authMigrations);
      repo = new AdminRepository(t.sql);
      flags = new AccountFlagsRepository(t.sql);
      users = new AuthRepository(t.sql);
    });
    afterAll(() => t?.dispose());

    it('pages the audit log newest first, by actor and by target', async () => {
      for (let i = 1; i <= 5; i++) {
        await repo.audit({
          id: big(i),
          actorId: big(i % 2 ? 900 : 901),
          action: `a${i}`,
          target: `user:${i % 3}`,
          reason: `r${i}`,
          requestId: `q${i}`,
          at: i,
        });
      }
      const first = await repo.auditLog({ cursor: '', limit: 2 });
      expect(first.map((r) => r.action)).toEqual(['a5', 'a4']);
      expect(first[0]).toMatchObject({ id: big(5), actorId: big(900), requestId: 'q5', at: 5 });
      const next = await repo.auditLog({ cursor: first[1]!.id, limit: 10 });
      expect(next.map((r) => r.action)).toEqual(['a3', 'a2', 'a1']);
      expect(
        (await repo.auditLog({ cursor: '', limit: 10, actorId: big(901) })).map((r) => r.action),
      ).toEqual(['a4', 'a2']);
      expect((await repo.auditLog({ cursor: '', limit: 10, target: 'user:1' })).map((r) => r.action)).toEqual(
        ['a4', 'a1'],
      );
    });

    const report = (n: number, reporter: number, target = 'c:1'): ReportRow => ({
      id: big(100 + n),
      kind: 'message',
      targetId: target,
      reporterId: big(reporter),
      reason: '举报 spam',
      snapshot: { authorId: big(7), authorNickname: '张三', text: '广告 😀', detail: '', createdAt: 3 },
      status: REPORT_OPEN,
      createdAt: n,
      resolvedBy: null,
      resolution: null,
      resolvedAt: null,
    });

    it('keeps reports with their snapshot; one resolution closes every open report of the content once', async () => {
      await repo.insertReport(report(1, 1));
      await repo.insertReport(report(2, 2));
      await repo.insertReport(report(3, 3, 'c:2'));
      expect(await repo.openReportBy('message', 'c:1', big(1))).toBe(big(101));
      expect(await repo.openReports()).toBe(3);
      const r1 = (await repo.report(big(101)))!;
      expect(r1.snapshot).toEqual({
        authorId: big(7),
        authorNickname: '张三',
        text: '广告 😀',
        detail: '',
        createdAt: 3,
      });
      // Two operators at once: exactly one wins.
      const both = await Promise.all([
        repo.resolve(r1, REPORT_REMOVED, big(50), 'spam', 10),
        repo.resolve(r1, REPORT_KEPT, big(51), 'fine', 11),
      ]);
      expect(both.filter(Boolean)).toHaveLength(1);
      const r2 = (await repo.report(big(102)))!;
      expect(r2.status).not.toBe(REPORT_OPEN);
      expect(r2.status).toBe((await repo.report(big(101)))!.status);
      expect(await repo.openReportBy('message', 'c:1', big(1))).toBeUndefined();
      expect((await repo.reports(REPORT_OPEN, '', 10)).map((r) => r.id)).toEqual([big(103)]);
      const resolved = [
        ...(await repo.reports(REPORT_REMOVED, '', 10)),
        ...(await repo.reports(REPORT_KEPT, '', 10)),
      ];
      expect(resolved.map((r) => r.id).sort()).toEqual([big(101), big(102)]);
    });

    it('keeps notices newest first', async () => {
      await repo.insertNotice({ id: big(201), title: '维护', body: 'a', authorId: big(1), createdAt: 1 });
      await repo.insertNotice({ id: big(202), title: 'Two', body: '', authorId: big(1), createdAt: 2 });
      expect((await repo.notices(1)).map((n) => n.title)).toEqual(['Two']);
      expect((await repo.notices(5)).map((n) => n.title)).toEqual(['Two', '维护']);
    });

    it("stores an account's role and disabled state, counts, and deletes an account", async () => {
      const u = { email: null, phone: null, passwordHash: 'h', nickname: 'n', createdAt: 1 };
      await users.insertUser({ ...u, id: big(301), email: 'a@example.com' });
      await users.insertUser({ ...u, id: big(302), email: 'b@example.com' });
      expect(await flags.flags(big(301))).toEqual({ role: 0, disabledAt: null });
      await flags.setRole(big(301), 2, 5);
      await flags.setDisabled(big(301), 6, 6);
      await flags.setDisabled(big(302), 7, 7);
      await flags.setDisabled(big(302), null, 8);
      expect(await flags.flags(big(301))).toEqual({ role: 2, disabledAt: 6 });
      expect(await flags.flags(big(302))).toEqual({ role: 0, disabledAt: null });
      expect(await flags.counts()).toEqual({ accounts: 2, disabled: 1 });
      await users.insertSession(
        {
          id: big(401),
          userId: big(301),
          clientType: 'web',
          deviceId: 'd',
          deviceName: 'n',
          createdAt: 1,
          lastActiveAt: 1,
          expiresAt: 100,
        },
        'f'.repeat(64),
      );
      expect(await flags.liveSessionCounts([big(301), big(302)], 50)).toEqual(new Map([[big(301), 1]]));
      expect(await flags.liveSessionCounts([big(301)], 100)).toEqual(new Map());
      expect((await flags.newest(1))[0]?.id).toBe(big(302));
      await flags.deleteAccount(big(301));
      expect(await users.findUser(big(301))).toBeUndefined();
      expect(await users.findRefreshToken('f'.repeat(64))).toBeUndefined();
      expect(await flags.flags(big(301))).toEqual({ role: 0, disabledAt: null });
      expect(await flags.counts()).toEqual({ accounts: 1, disabled: 0 });
    });
  });
}
