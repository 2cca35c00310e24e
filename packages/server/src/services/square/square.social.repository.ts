import type { Kysely } from 'kysely';
import { asId, asNum, isUniqueViolation, type SqlEngine } from '../../adapters/sql/sql.js';
import { REPORT_OPEN, type SquareTables } from './square.tables.js';

export interface NoticeRow {
  id: string;
  userId: string;
  kind: number;
  threadId: string;
  postId: string;
  actorId: string;
  text: string;
  removed: boolean;
  createdAt: number;
}

export interface ReportRow {
  id: string;
  reporterId: string;
  boardId: string;
  threadId: string;
  postId: string;
  authorId: string;
  reason: string;
  snapshot: string;
  status: number;
  createdAt: number;
}

const CHUNK = 500;

const toNotice = (r: SquareTables['square_notices']): NoticeRow => ({
  id: asId(r.id),
  userId: asId(r.user_id),
  kind: asNum(r.kind),
  threadId: asId(r.thread_id),
  postId: asId(r.post_id),
  actorId: asId(r.actor_id),
  text: r.text,
  removed: asNum(r.removed) === 1,
  createdAt: asNum(r.created_at),
});

const toReport = (r: SquareTables['square_reports']): ReportRow => ({
  id: asId(r.id),
  reporterId: asId(r.reporter_id),
  boardId: asId(r.board_id),
  threadId: asId(r.thread_id),
  postId: asId(r.post_id),
  authorId: asId(r.author_id),
  reason: r.reason,
  snapshot: r.snapshot,
  status: asNum(r.status),
  createdAt: asNum(r.created_at),
});

/** Likes, follows, edit history, notices and moderation (moderators, bans, reports, keywords). */
export class SocialRepository {
  constructor(
    private readonly db: Kysely<SquareTables>,
    private readonly engine: SqlEngine,
  ) {}

  /**
   * False when the user already likes the post. No unique-violation catch: it runs inside a
   * transaction, which PostgreSQL would abort.
   */
  async like(postId: string, userId: string, now: number): Promise<boolean> {
    const q = this.db
      .insertInto('square_likes')
      .values({ post_id: postId, user_id: userId, created_at: now });
    const r =
      this.engine === 'mysql'
        ? await q.ignore().executeTakeFirst()
        : await q.onConflict((oc) => oc.doNothing()).executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async unlike(postId: string, userId: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('square_likes')
      .where('post_id', '=', postId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async follow(threadId: string, userId: string, now: number): Promise<void> {
    const q = this.db
      .insertInto('square_follows')
      .values({ thread_id: threadId, user_id: userId, created_at: now });
    if (this.engine === 'mysql') await q.ignore().execute();
    else await q.onConflict((oc) => oc.doNothing()).execute();
  }

  async unfollow(threadId: string, userId: string): Promise<void> {
    await this.db
      .deleteFrom('square_follows')
      .where('thread_id', '=', threadId)
      .where('user_id', '=', userId)
      .execute();
  }

  async followers(threadId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('square_follows')
      .select('user_id')
      .where('thread_id', '=', threadId)
      .execute();
    return rows.map((r) => asId(r.user_id));
  }

  async following(userId: string, threadIds: readonly string[]): Promise<Set<string>> {
    if (threadIds.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('square_follows')
      .select('thread_id')
      .where('user_id', '=', userId)
      .where('thread_id', 'in', threadIds)
      .execute();
    return new Set(rows.map((r) => asId(r.thread_id)));
  }

  async insertEdit(id: string, postId: string, body: string, editedAt: number): Promise<void> {
    await this.db
      .insertInto('square_post_edits')
      .values({ id, post_id: postId, body, edited_at: editedAt })
      .execute();
  }

  /** Earlier versions of the posts, oldest first. */
  async edits(postIds: readonly string[]): Promise<Map<string, { body: string; editedAt: number }[]>> {
    const out = new Map<string, { body: string; editedAt: number }[]>();
    if (postIds.length === 0) return out;
    const rows = await this.db
      .selectFrom('square_post_edits')
      .selectAll()
      .where('post_id', 'in', postIds)
      .orderBy('id')
      .execute();
    for (const r of rows) {
      const list = out.get(asId(r.post_id)) ?? [];
      list.push({ body: r.body, editedAt: asNum(r.edited_at) });
      out.set(asId(r.post_id), list);
    }
    return out;
  }

  async insertNotices(rows: readonly NoticeRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += CHUNK)
      await this.db
        .insertInto('square_notices')
        .values(
          rows.slice(i, i + CHUNK).map((n) => ({
            id: n.id,
            user_id: n.userId,
            kind: n.kind,
            thread_id: n.threadId,
            post_id: n.postId,
            actor_id: n.actorId,
            text: n.text,
            removed: n.removed ? 1 : 0,
            created_at: n.createdAt,
          })),
        )
        .execute();
  }

  async notices(userId: string, beforeId: string | undefined, limit: number): Promise<NoticeRow[]> {
    let q = this.db.selectFrom('square_notices').selectAll().where('user_id', '=', userId);
    if (beforeId) q = q.where('id', '<', beforeId);
    const rows = await q.orderBy('id', 'desc').limit(limit).execute();
    return rows.map(toNotice);
  }

  async readMark(userId: string): Promise<string> {
    const r = await this.db
      .selectFrom('square_readers')
      .select('notices_read_id')
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return r ? asId(r.notices_read_id) : '0';
  }

  async setReadMark(userId: string, id: string): Promise<void> {
    const updated = await this.db
      .updateTable('square_readers')
      .set({ notices_read_id: id })
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0) return;
    try {
      await this.db.insertInto('square_readers').values({ user_id: userId, notices_read_id: id }).execute();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }

  async unread(userId: string, afterId: string): Promise<number> {
    const r = await this.db
      .selectFrom('square_notices')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .where('id', '>', afterId)
      .executeTakeFirstOrThrow();
    return asNum(r.n);
  }

  async setModerator(boardId: string, userId: string, on: boolean, now: number): Promise<void> {
    if (!on) {
      await this.db
        .deleteFrom('square_moderators')
        .where('board_id', '=', boardId)
        .where('user_id', '=', userId)
        .execute();
      return;
    }
    const q = this.db
      .insertInto('square_moderators')
      .values({ board_id: boardId, user_id: userId, created_at: now });
    if (this.engine === 'mysql') await q.ignore().execute();
    else await q.onConflict((oc) => oc.doNothing()).execute();
  }

  /** The boards the user was named moderator of. */
  async setBan(b: {
    boardId: string;
    userId: string;
    until: number;
    reason: string;
    by: string;
    now: number;
  }): Promise<void> {
    await this.db
      .deleteFrom('square_bans')
      .where('board_id', '=', b.boardId || '0')
      .where('user_id', '=', b.userId)
      .execute();
    if (b.until <= b.now) return;
    await this.db
      .insertInto('square_bans')
      .values({
        board_id: b.boardId || '0',
        user_id: b.userId,
        until_at: b.until,
        reason: b.reason,
        banned_by: b.by,
        created_at: b.now,
      })
      .execute();
  }

  /** The user's bans still running, by board ('' for the whole square). */
  /** False when the reporter already reported this post. */
  async insertReport(r: ReportRow): Promise<boolean> {
    try {
      await this.db
        .insertInto('square_reports')
        .values({
          id: r.id,
          reporter_id: r.reporterId,
          board_id: r.boardId,
          thread_id: r.threadId,
          post_id: r.postId,
          author_id: r.authorId,
          reason: r.reason,
          snapshot: r.snapshot,
          status: REPORT_OPEN,
          resolved_by: null,
          resolution: '',
          created_at: r.createdAt,
        })
        .execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async report(id: string): Promise<ReportRow | undefined> {
    const r = await this.db.selectFrom('square_reports').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toReport(r);
  }

  /** Open reports, oldest first, of the given boards (every board when `boards` is undefined). */
  async openReports(boards: readonly string[] | undefined, afterId: string | undefined, limit: number) {
    if (boards && boards.length === 0) return [];
    let q = this.db.selectFrom('square_reports').selectAll().where('status', '=', REPORT_OPEN);
    if (boards) q = q.where('board_id', 'in', boards);
    if (afterId) q = q.where('id', '>', afterId);
    const rows = await q.orderBy('id').limit(limit).execute();
    return rows.map(toReport);
  }

  /** Every report after `afterId` in id order, with when its post was written (the console's catch-up). */
  async reportsAfter(
    afterId: string,
    limit: number,
  ): Promise<{ report: ReportRow; postCreatedAt: number }[]> {
    let q = this.db
      .selectFrom('square_reports as r')
      .leftJoin('square_posts as p', 'p.id', 'r.post_id')
      .selectAll('r')
      .select('p.created_at as post_created_at');
    if (afterId) q = q.where('r.id', '>', afterId);
    const rows = await q.orderBy('r.id').limit(limit).execute();
    return rows.map((r) => ({ report: toReport(r), postCreatedAt: asNum(r.post_created_at ?? 0) }));
  }

  /** Resolves every open report of the post; returns them (their reporters are told). */
  async resolveReports(postId: string, status: number, by: string, resolution: string) {
    const open = await this.db
      .selectFrom('square_reports')
      .selectAll()
      .where('post_id', '=', postId)
      .where('status', '=', REPORT_OPEN)
      .execute();
    if (open.length === 0) return [];
    await this.db
      .updateTable('square_reports')
      .set({ status, resolved_by: by, resolution })
      .where('post_id', '=', postId)
      .where('status', '=', REPORT_OPEN)
      .execute();
    return open.map(toReport);
  }

  async isAdmin(userId: string): Promise<boolean> {
    const r = await this.db
      .selectFrom('square_admins')
      .select('user_id')
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return r !== undefined;
  }

  async setAdmin(userId: string, on: boolean, now: number): Promise<void> {
    await this.db.deleteFrom('square_admins').where('user_id', '=', userId).execute();
    if (on) await this.db.insertInto('square_admins').values({ user_id: userId, created_at: now }).execute();
  }

  async keywords(): Promise<string[]> {
    const rows = await this.db.selectFrom('square_keywords').select('word').orderBy('word').execute();
    return rows.map((r) => r.word);
  }

  async setKeywords(words: readonly string[], now: number): Promise<void> {
    await this.db.deleteFrom('square_keywords').execute();
    if (words.length > 0)
      await this.db
        .insertInto('square_keywords')
        .values(words.map((word) => ({ word, created_at: now })))
        .execute();
  }
}
