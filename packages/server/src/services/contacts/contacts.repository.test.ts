import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendAvailable } from '../../../test/helpers/backends.js';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/sql-databases.js';
import { contactsMigrations } from './contacts.migrations.js';
import { ContactsRepository, pairKey, RequestState } from './contacts.repository.js';
import { GroupsRepository } from './groups.repository.js';

/** The contacts SQL on every engine: the queries whose meaning could differ between them. */
for (const engine of ['sqlite', 'mysql', 'postgres'] as const) {
  const ok = engine === 'sqlite' || (await backendAvailable(engine));

  describe.skipIf(!ok)(`contacts repository on ${engine}`, () => {
    let t: TestDatabase;
    let repo: ContactsRepository;
    let groups: GroupsRepository;
    // Ids past 2^53 prove they travel as exact strings on every driver.
    const big = (n: number) => (9_007_199_254_740_993n + BigInt(n)).toString();

    beforeAll(async () => {
      t = await openTestDatabase(engine);
      await t.sql.migrate('contacts', contactsMigrations);
      repo = ContactsRepository.of(t.sql);
      groups = GroupsRepository.of(t.sql);
    });
    afterAll(() => t?.dispose());

    it('keeps one request row per ordered pair and reopens it', async () => {
      const [a, b] = [big(1), big(2)];
      const r1 = await repo.openRequest({ id: big(100), fromId: a, toId: b, note: 'one', now: 1 });
      await repo.setRequestState(r1.id, RequestState.DECLINED, 2);
      const r2 = await repo.openRequest({ id: big(101), fromId: a, toId: b, note: 'two', now: 3 });
      expect(r2).toMatchObject({
        id: big(100),
        fromId: a,
        toId: b,
        note: 'two',
        state: RequestState.PENDING,
      });
      const racing = await Promise.all(
        [big(102), big(103)].map((id) => repo.openRequest({ id, fromId: b, toId: a, note: 'x', now: 4 })),
      );
      expect(racing[0]!.id).toBe(racing[1]!.id);
      expect(await repo.countOpenOutgoing(a)).toBe(1);
      await repo.acceptRequestsBetween(b, a, 5);
      expect((await repo.requestBetween(a, b))?.state).toBe(RequestState.ACCEPTED);
      expect((await repo.requestBetween(b, a))?.state).toBe(RequestState.ACCEPTED);
    });

    it('excludes block relations in either direction from the presence audience', async () => {
      const [u, f1, f2, f3] = [big(10), big(11), big(12), big(13)];
      for (const f of [f1, f2, f3]) await repo.addFriendship(u, f, 1);
      await repo.addFriendship(u, f1, 2); // again: a no-op
      expect((await repo.presenceAudience(u)).sort()).toEqual([f1, f2, f3].sort());
      await repo.block(u, f1, 3);
      await repo.block(f2, u, 3);
      expect(await repo.block(f2, u, 4)).toBe(false);
      expect(await repo.presenceAudience(u)).toEqual([f3]);
      expect(await repo.presenceAudience(f1)).toEqual([]);
      expect([...(await repo.blockersAmong(u, [f1, f2, f3]))]).toEqual([f2]);
      await repo.setConversationId(u, f3, big(999));
      expect((await repo.friend(f3, u))?.conversationId).toBe(big(999));
      expect(await repo.removeFriendship(f3, u)).toBe(true);
      expect(await repo.removeFriendship(u, f3)).toBe(false);
    });

    it('clears a sync mark only with the token of the latest change', async () => {
      const key = pairKey(big(2), big(1));
      expect(key).toBe(`d:${big(1)}:${big(2)}`);
      const old = await repo.markSync(key, 10);
      const latest = await repo.transaction((tx) => tx.markSync(key, 11));
      await repo.clearSync(key, old);
      expect(await repo.pendingSync(100, 10)).toEqual([{ key, token: latest }]);
      expect(await repo.pendingSync(10, 10)).toEqual([]); // too recent for the repair loop
      await repo.clearSync(key, latest);
      expect(await repo.pendingSync(100, 10)).toEqual([]);
    });

    it('stores groups with exact ids, flags and member counts', async () => {
      const id = big(500);
      await groups.insertGroup({ id, name: 'G', announcement: '', ownerId: big(1), createdAt: 1 });
      await groups.addMembers(
        id,
        [
          { userId: big(1), role: 3 },
          { userId: big(2), role: 1 },
        ],
        1,
      );
      await groups.updateGroup(id, { mutedAll: true });
      expect(await groups.group(id)).toMatchObject({ id, ownerId: big(1), mutedAll: true });
      expect(await groups.memberCounts([id])).toEqual(new Map([[id, 2]]));
      expect((await groups.members(id)).map((m) => m.userId)).toEqual([big(1), big(2)]);
      expect(await groups.groupsOf(big(2))).toMatchObject([{ group: { id }, role: 1 }]);
      expect(await groups.lock(big(501), 2)).toBe(false);
      await groups.deleteGroup(id);
      expect(await groups.group(id)).toBeUndefined();
    });
  });
}
