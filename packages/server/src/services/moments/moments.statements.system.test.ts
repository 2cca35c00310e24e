import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendAvailable } from '../../../test/helpers/backends.js';
import { openTestDatabase, type TestDatabase } from '../../../test/helpers/sql-databases.js';
import { asId, asNum } from '../../adapters/sql/sql.js';
import { momentsMigrations } from './moments.migrations.js';
import { MomentsStore } from './moments.repository.js';
import * as st from './moments.statements.js';
import type { MomentsTables } from './moments.tables.js';

/** Rows as plain strings and numbers (drivers differ in bigint and string columns). */
const plain = (rows: readonly Record<string, unknown>[]) =>
  rows.map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [k, v === null || typeof v === 'string' ? v : String(v)]),
    ),
  );

/**
 * The moments statements compiled once (moments.statements.ts) against the same statements
 * built by Kysely per call, on every engine: the same rows for the same arguments, run after
 * run with other arguments (a slot bound to a stale or wrong value shows as other rows), and
 * the writes change what the built statements changed, inside a transaction too.
 */
for (const engine of ['sqlite', 'mysql', 'postgres'] as const) {
  const ok = engine === 'sqlite' || (await backendAvailable(engine));

  describe.skipIf(!ok)(`moments prepared statements on ${engine}`, () => {
    let t: TestDatabase;
    let db: Kysely<MomentsTables>;
    beforeAll(async () => {
      t = await openTestDatabase(engine);
      await t.sql.migrate('moments', momentsMigrations);
      db = MomentsStore.of(t.sql).db;
      const post = (id: number, author: number, client: string | null) => ({
        id: String(id),
        author_id: String(author),
        client_id: client,
        text: `post ${id}`,
        media: '[]',
        location: '',
        link_url: '',
        link_title: '',
        audience: 0,
        audience_tags: '',
        mentions: '',
        created_at: 1000 + id,
        version: 0,
      });
      await db
        .insertInto('moments_posts')
        .values([post(10, 1, 'a'), post(11, 1, 'b'), post(12, 2, 'a'), post(13, 2, null)])
        .execute();
      await db
        .insertInto('moments_likes')
        .values([
          { moment_id: '10', user_id: '3', created_at: 50 },
          { moment_id: '10', user_id: '2', created_at: 40 },
          { moment_id: '10', user_id: '4', created_at: 60 },
          { moment_id: '12', user_id: '1', created_at: 70 },
        ])
        .execute();
      const comment = (id: number, moment: number, author: number, reply: number | null) => ({
        id: String(id),
        moment_id: String(moment),
        author_id: String(author),
        reply_to_comment_id: reply === null ? null : String(reply),
        reply_to_user_id: reply === null ? null : '1',
        text: `c${id}`,
        created_at: 100 + id,
      });
      await db
        .insertInto('moments_comments')
        .values([
          comment(22, 10, 3, null),
          comment(21, 10, 2, null),
          comment(23, 10, 1, 21),
          comment(24, 12, 1, null),
        ])
        .execute();
      const notice = (id: number, user: number) => ({
        id: String(id),
        user_id: String(user),
        kind: 1,
        moment_id: '10',
        actor_id: '3',
        comment_id: null,
        created_at: 200 + id,
      });
      await db
        .insertInto('moments_notices')
        .values([notice(31, 1), notice(32, 1), notice(33, 2), notice(34, 1)])
        .execute();
      await db
        .insertInto('moments_readers')
        .values([
          { user_id: '1', active_at: 5, pulled_at: 6, notices_read_id: '32' },
          { user_id: '2', active_at: 7, pulled_at: 8, notices_read_id: '0' },
        ])
        .execute();
      await db
        .insertInto('moments_filters')
        .values([
          { user_id: '1', kind: 1, other_id: '3', created_at: 9 },
          { user_id: '1', kind: 1, other_id: '2', created_at: 8 },
          { user_id: '1', kind: 2, other_id: '4', created_at: 7 },
          { user_id: '5', kind: 1, other_id: '2', created_at: 6 },
        ])
        .execute();
    });
    afterAll(() => t?.dispose());

    it('reads the rows the statements built per call read, argument after argument', async () => {
      for (const id of ['10', '12', '13', '99']) {
        expect(plain((await st.postById(db, { id })).rows)).toEqual(
          plain(await db.selectFrom('moments_posts').selectAll().where('id', '=', id).execute()),
        );
        expect(plain((await st.likesOfOne(db, { moment: id })).rows)).toEqual(
          plain(
            await db
              .selectFrom('moments_likes')
              .selectAll()
              .where('moment_id', 'in', [id])
              .orderBy('created_at')
              .execute(),
          ),
        );
        expect(plain((await st.commentsOfOne(db, { moment: id })).rows)).toEqual(
          plain(
            await db
              .selectFrom('moments_comments')
              .selectAll()
              .where('moment_id', 'in', [id])
              .orderBy('id')
              .execute(),
          ),
        );
        expect(asNum((await st.countComments(db, { moment: id })).rows[0]!.n)).toBe(
          (await db.selectFrom('moments_comments').selectAll().where('moment_id', '=', id).execute()).length,
        );
      }
      // Likes oldest first, comments in id order, not in the order they were stored.
      expect((await st.likesOfOne(db, { moment: '10' })).rows.map((r) => asId(r.user_id))).toEqual([
        '2',
        '3',
        '4',
      ]);
      expect((await st.commentsOfOne(db, { moment: '10' })).rows.map((r) => asId(r.id))).toEqual([
        '21',
        '22',
        '23',
      ]);
      for (const [author, client, want] of [
        ['1', 'a', '10'],
        ['1', 'b', '11'],
        ['2', 'a', '12'],
        ['2', 'b', undefined],
      ])
        expect((await st.postByClientId(db, { author, client })).rows.map((r) => asId(r.id))[0]).toBe(want);
      for (const [user, after, want] of [
        ['1', '0', 3],
        ['1', '32', 1],
        ['1', '34', 0],
        ['2', '0', 1],
        ['9', '0', 0],
      ] as const)
        expect(asNum((await st.countNoticesAfter(db, { user, after })).rows[0]!.n)).toBe(want);
      expect(plain((await st.readerById(db, { user: '2' })).rows)).toEqual(
        plain(await db.selectFrom('moments_readers').selectAll().where('user_id', '=', '2').execute()),
      );
      expect((await st.readerById(db, { user: '3' })).rows).toEqual([]);
      expect((await st.filtersOf(db, { user: '1', kind: 1 })).rows.map((r) => asId(r.other_id))).toEqual([
        '2',
        '3',
      ]);
      expect((await st.filtersOf(db, { user: '1', kind: 2 })).rows.map((r) => asId(r.other_id))).toEqual([
        '4',
      ]);
      expect(
        (await st.filteredBy(db, { other: '2', kind: 1 })).rows.map((r) => asId(r.user_id)).sort(),
      ).toEqual(['1', '5']);
    });

    it('writes what the built statements wrote, in a transaction as outside one', async () => {
      const version = async (id: string, on = db) =>
        asNum(
          (await on.selectFrom('moments_posts').select('version').where('id', '=', id).executeTakeFirst())!
            .version,
        );
      await st.bumpPost(db, { id: '11' });
      await st.bumpPost(db, { id: '11' });
      expect([await version('10'), await version('11')]).toEqual([0, 2]);
      // Rolled back with its transaction: it ran on the transaction's connection.
      await expect(
        db.transaction().execute(async (tx) => {
          await st.bumpPost(tx, { id: '10' });
          expect(await version('10', tx)).toBe(1);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(await version('10')).toBe(0);

      await st.insertLike(db, { moment: '11', user: '7', at: 5 });
      await expect(st.insertLike(db, { moment: '11', user: '7', at: 6 })).rejects.toThrow();
      expect(
        (await st.likesOfOne(db, { moment: '11' })).rows.map((r) => [asId(r.user_id), asNum(r.created_at)]),
      ).toEqual([['7', 5]]);

      const res = await st.touchActive(db, { user: '2', active: 70 });
      expect(Number(res.numAffectedRows)).toBe(1);
      expect(Number((await st.touchActive(db, { user: '8', active: 70 })).numAffectedRows)).toBe(0);
      await st.touchPulled(db, { user: '1', active: 50, pulled: 60 });
      const readers = await db.selectFrom('moments_readers').selectAll().orderBy('user_id').execute();
      expect(
        readers.map((r) => [
          asId(r.user_id),
          asNum(r.active_at),
          asNum(r.pulled_at),
          asId(r.notices_read_id),
        ]),
      ).toEqual([
        ['1', 50, 60, '32'],
        ['2', 70, 8, '0'],
      ]);
    });

    it('claims each due outbox row once', async () => {
      await st.insertOutbox(db, { moment: '12', author: '2', at: 100 });
      await st.insertOutbox(db, { moment: '13', author: '2', at: 300 });
      const due = async (now: number) => (await st.dueOutbox(db, { now })).rows.map((r) => asId(r.moment_id));
      expect(await due(200)).toEqual(['12']);
      expect(await due(400)).toEqual(['12', '13']);
      const lock = (was: number, tries: number) =>
        st.lockOutbox(db, { until: 900, attempts: tries + 1, moment: '12', was, tries });
      expect(Number((await lock(0, 0)).numAffectedRows)).toBe(1);
      expect(Number((await lock(0, 0)).numAffectedRows)).toBe(0); // the row moved on: taken
      expect(Number((await lock(900, 1)).numAffectedRows)).toBe(1); // as it is now (a lease run out)
      expect(await due(400)).toEqual(['13']);
      await st.finishOutbox(db, { moment: '13' });
      expect(await due(400)).toEqual([]);
      const row = await db.selectFrom('moments_outbox').selectAll().execute();
      expect(
        row.map((r) => [asId(r.moment_id), asNum(r.locked_until), asNum(r.attempts), asNum(r.run_after)]),
      ).toEqual([['12', 900, 2, 100]]);
    });
  });
}
