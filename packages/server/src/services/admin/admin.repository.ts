import type { Kysely } from 'kysely';
import { asId, asNum, type SqlDatabase } from '../../adapters/sql/sql.js';

interface AdminTables {
  admin_audit: {
    id: string;
    actor_id: string;
    action: string;
    target: string;
    reason: string;
    request_id: string;
    at: number;
  };
  admin_reports: {
    id: string;
    kind: string;
    target_id: string;
    reporter_id: string;
    reason: string;
    snapshot: string;
    status: number;
    created_at: number;
    resolved_by: string | null;
    resolution: string | null;
    resolved_at: number | null;
  };
  admin_notices: { id: string; title: string; body: string; author_id: string; created_at: number };
  admin_cursors: { name: string; position: string };
}

/** The catch-up cursors (admin_cursors rows, made by the migrations). */
export type CursorName = 'square_reports';

export interface AuditRow {
  id: string;
  actorId: string;
  action: string;
  target: string;
  reason: string;
  requestId: string;
  at: number;
}

export interface Snapshot {
  authorId: string;
  authorNickname: string;
  text: string;
  detail: string;
  createdAt: number;
}

export const REPORT_OPEN = 1;
export const REPORT_REMOVED = 2;
export const REPORT_KEPT = 3;

export interface ReportRow {
  id: string;
  kind: string;
  targetId: string;
  reporterId: string;
  reason: string;
  snapshot: Snapshot;
  status: number;
  createdAt: number;
  resolvedBy: string | null;
  resolution: string | null;
  resolvedAt: number | null;
}

export interface NoticeRow {
  id: string;
  title: string;
  body: string;
  authorId: string;
  createdAt: number;
}

const toReport = (r: AdminTables['admin_reports']): ReportRow => ({
  id: asId(r.id),
  kind: r.kind,
  targetId: r.target_id,
  reporterId: asId(r.reporter_id),
  reason: r.reason,
  snapshot: JSON.parse(r.snapshot) as Snapshot,
  status: Number(r.status),
  createdAt: asNum(r.created_at),
  resolvedBy: r.resolved_by === null ? null : asId(r.resolved_by),
  resolution: r.resolution,
  resolvedAt: r.resolved_at === null ? null : asNum(r.resolved_at),
});

/**
 * The console's SQL. The audit log has an insert and reads only: nothing in MyChat updates or
 * deletes its rows.
 */
export class AdminRepository {
  private readonly db: Kysely<AdminTables>;

  constructor(sql: SqlDatabase) {
    this.db = sql.db as Kysely<AdminTables>;
  }

  async audit(row: AuditRow): Promise<void> {
    await this.db
      .insertInto('admin_audit')
      .values({
        id: row.id,
        actor_id: row.actorId,
        action: row.action,
        target: row.target,
        reason: row.reason,
        request_id: row.requestId,
        at: row.at,
      })
      .execute();
  }

  /** Newest first, before `cursor` (an id; "" for the first page). */
  async auditLog(q: {
    cursor: string;
    limit: number;
    actorId?: string;
    target?: string;
  }): Promise<AuditRow[]> {
    let s = this.db.selectFrom('admin_audit').selectAll();
    if (q.cursor) s = s.where('id', '<', q.cursor);
    if (q.actorId) s = s.where('actor_id', '=', q.actorId);
    if (q.target) s = s.where('target', '=', q.target);
    const rows = await s.orderBy('id', 'desc').limit(q.limit).execute();
    return rows.map((r) => ({
      id: asId(r.id),
      actorId: asId(r.actor_id),
      action: r.action,
      target: r.target,
      reason: r.reason,
      requestId: r.request_id,
      at: asNum(r.at),
    }));
  }

  async insertReport(r: Omit<ReportRow, 'resolvedBy' | 'resolution' | 'resolvedAt'>): Promise<void> {
    await this.db
      .insertInto('admin_reports')
      .values({
        id: r.id,
        kind: r.kind,
        target_id: r.targetId,
        reporter_id: r.reporterId,
        reason: r.reason,
        snapshot: JSON.stringify(r.snapshot),
        status: r.status,
        created_at: r.createdAt,
        resolved_by: null,
        resolution: null,
        resolved_at: null,
      })
      .execute();
  }

  /** The reporter's open report on this content, if any. */
  async openReportBy(kind: string, targetId: string, reporterId: string): Promise<string | undefined> {
    const r = await this.db
      .selectFrom('admin_reports')
      .select('id')
      .where('kind', '=', kind)
      .where('target_id', '=', targetId)
      .where('reporter_id', '=', reporterId)
      .where('status', '=', REPORT_OPEN)
      .executeTakeFirst();
    return r && asId(r.id);
  }

  /** Where a catch-up stands ("" at the start). */
  async cursor(name: CursorName): Promise<string> {
    const r = await this.db
      .selectFrom('admin_cursors')
      .select('position')
      .where('name', '=', name)
      .executeTakeFirst();
    return r?.position ?? '';
  }

  async setCursor(name: CursorName, position: string): Promise<void> {
    await this.db.updateTable('admin_cursors').set({ position }).where('name', '=', name).execute();
  }

  async report(id: string): Promise<ReportRow | undefined> {
    const r = await this.db.selectFrom('admin_reports').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toReport(r);
  }

  /** Open reports oldest first (the queue), resolved ones newest first. */
  async reports(status: number, cursor: string, limit: number): Promise<ReportRow[]> {
    let s = this.db.selectFrom('admin_reports').selectAll().where('status', '=', status);
    if (status === REPORT_OPEN) {
      if (cursor) s = s.where('id', '>', cursor);
      s = s.orderBy('id', 'asc');
    } else {
      if (cursor) s = s.where('id', '<', cursor);
      s = s.orderBy('id', 'desc');
    }
    return (await s.limit(limit).execute()).map(toReport);
  }

  /**
   * Resolves an open report and every other open report on the same content; false when this
   * one was already resolved (a concurrent resolution won).
   */
  async resolve(r: ReportRow, status: number, by: string, resolution: string, now: number): Promise<boolean> {
    const res = await this.db
      .updateTable('admin_reports')
      .set({ status, resolved_by: by, resolution, resolved_at: now })
      .where('id', '=', r.id)
      .where('status', '=', REPORT_OPEN)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return false;
    await this.db
      .updateTable('admin_reports')
      .set({ status, resolved_by: by, resolution, resolved_at: now })
      .where('kind', '=', r.kind)
      .where('target_id', '=', r.targetId)
      .where('status', '=', REPORT_OPEN)
      .execute();
    return true;
  }

  async openReports(): Promise<number> {
    const r = await this.db
      .selectFrom('admin_reports')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', REPORT_OPEN)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async insertNotice(n: NoticeRow): Promise<void> {
    await this.db
      .insertInto('admin_notices')
      .values({ id: n.id, title: n.title, body: n.body, author_id: n.authorId, created_at: n.createdAt })
      .execute();
  }

  async notices(limit: number): Promise<NoticeRow[]> {
    const rows = await this.db
      .selectFrom('admin_notices')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: asId(r.id),
      title: r.title,
      body: r.body,
      authorId: asId(r.author_id),
      createdAt: asNum(r.created_at),
    }));
  }
}
