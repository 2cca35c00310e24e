import { create } from '@bufbuild/protobuf';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import { admin as pb, message as msgpb } from '@mychat/protocol';
import { isUniqueViolation } from '../../adapters/sql/sql.js';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import { isId, parseId } from '../../kernel/ids.js';
import { encodeSystemNotice, SYSTEM_NOTICE_CHANNEL } from '../../contracts/system-notice.js';
import { requireCaller } from '../../rpc/call-context.js';
import { parseReason, ROLE_ADMIN, ROLE_MODERATOR } from './admin.access.js';
import { ts, type AdminParts } from './admin.peers.js';
import {
  REPORT_KEPT,
  REPORT_OPEN,
  REPORT_REMOVED,
  type NoticeRow,
  type ReportRow,
  type Snapshot,
} from './admin.repository.js';

export const REPORT_LIMITS = { text: 4000, kind: 32, targetId: 96, title: 200, body: 4000, page: 100 };
const KIND = /^[a-z][a-z0-9_]{0,31}$/;

function reportMsg(r: ReportRow): pb.Report {
  const s = r.snapshot;
  return create(pb.ReportSchema, {
    id: r.id,
    kind: r.kind,
    targetId: r.targetId,
    reporterId: r.reporterId,
    reason: r.reason,
    snapshot: { ...s, createdAt: ts(s.createdAt) },
    status: r.status,
    createdAt: ts(r.createdAt),
    resolvedBy: r.resolvedBy ?? '',
    resolution: r.resolution ?? '',
    resolvedAt: ts(r.resolvedAt),
  });
}

const noticeMsg = (n: NoticeRow) =>
  create(pb.SystemNoticeSchema, { id: n.id, title: n.title, body: n.body, createdAt: ts(n.createdAt) });

function parseLimit(raw: number): number {
  if (raw === 0) return 50;
  if (!Number.isInteger(raw) || raw < 1 || raw > REPORT_LIMITS.page)
    throw errors.invalidArgument(`limit must be 1-${REPORT_LIMITS.page}`, 'limit');
  return raw;
}

const parseCursor = (raw: string) => (raw === '' ? '' : parseId(raw, 'cursor'));
const clip = (s: string, max: number) => [...s].slice(0, max).join('');

/** The text a message report keeps: the text itself, or what kind of message it was. */
function messageSnapshot(m: msgpb.Message): Pick<Snapshot, 'text' | 'detail'> {
  const body = m.content?.body;
  if (!body?.case) return { text: '', detail: msgpb.MessageType[m.type]?.toLowerCase() ?? '' };
  const v = body.value as { text?: string; name?: string; caption?: string };
  return {
    text: clip(v.text ?? v.caption ?? '', REPORT_LIMITS.text),
    detail: body.case === 'text' ? '' : `${body.case}${v.name ? `: ${clip(v.name, 200)}` : ''}`,
  };
}

/** Reports (filed by users and other services), notices, and the audit log. */
export class Reports {
  constructor(private readonly p: AdminParts) {}

  /**
   * Files a report; with `sourceId` (the filing service's own report id) that id is the
   * report's, and a report filed again with it is filed once (its id is answered).
   */
  async file(
    kind: string,
    targetId: string,
    reporterId: string,
    reason: string,
    snapshot: Snapshot,
    sourceId = '',
  ) {
    if (!KIND.test(kind)) throw errors.invalidArgument('kind is not valid', 'kind');
    if (!targetId || targetId.length > REPORT_LIMITS.targetId)
      throw errors.invalidArgument('targetId is not valid', 'targetId');
    if ([...reason].length > 1000) throw errors.tooLong('reason', 1000);
    if (sourceId && (await this.p.repo.report(parseId(sourceId, 'sourceId')))) return sourceId;
    if (await this.p.repo.openReportBy(kind, targetId, reporterId)) {
      throw new AppError(
        ErrorCode.ALREADY_REPORTED,
        'you already reported this; an operator will look at it',
      );
    }
    const id = sourceId || this.p.ids.next();
    const insert = this.p.repo.insertReport({
      id,
      kind,
      targetId,
      reporterId,
      reason: reason.trim(),
      snapshot: { ...snapshot, text: clip(snapshot.text, REPORT_LIMITS.text) },
      status: REPORT_OPEN,
      createdAt: this.p.clock.now(),
    });
    // Two deliveries of one source report at once: the second finds the first's row.
    await insert.catch((err: unknown) => {
      if (!(sourceId && isUniqueViolation(err))) throw err;
    });
    this.p.logger.info({ report_id: id, kind }, 'content reported');
    return id;
  }
}

export function adminReportsRpc(
  p: AdminParts,
): Pick<
  ServiceImpl<typeof pb.AdminService>,
  'listReports' | 'resolveReport' | 'publishSystemNotice' | 'listAuditLog'
> {
  const { access, repo } = p;
  return {
    async listReports(req, ctx) {
      await access.operator(ctx, ROLE_MODERATOR);
      const status = req.status === pb.ReportStatus.UNSPECIFIED ? REPORT_OPEN : req.status;
      if (![REPORT_OPEN, REPORT_REMOVED, REPORT_KEPT].includes(status))
        throw errors.invalidArgument('status is not valid', 'status');
      const limit = parseLimit(req.limit);
      const rows = await repo.reports(status, parseCursor(req.cursor), limit);
      return { reports: rows.map(reportMsg), nextCursor: rows.length === limit ? rows.at(-1)!.id : '' };
    },
    async resolveReport(req, ctx) {
      const op = await access.operator(ctx, ROLE_MODERATOR);
      const reason = parseReason(req.reason);
      const report = await repo.report(parseId(req.reportId, 'reportId'));
      if (!report) throw errors.notFound('no such report');
      if (report.status !== REPORT_OPEN)
        throw new AppError(ErrorCode.REPORT_RESOLVED, 'this report was already resolved');
      if (req.remove) await takeDown(p, report, op.userId, reason);
      else await keep(p, report, op.userId, reason);
      const status = req.remove ? REPORT_REMOVED : REPORT_KEPT;
      if (!(await repo.resolve(report, status, op.userId, reason, p.clock.now())))
        throw new AppError(ErrorCode.REPORT_RESOLVED, 'this report was already resolved');
      await access.audit(op, req.remove ? 'report.remove' : 'report.keep', `report:${report.id}`, reason);
      return { report: reportMsg((await repo.report(report.id))!) };
    },
    async publishSystemNotice(req, ctx) {
      const op = await access.operator(ctx, ROLE_ADMIN);
      const title = req.title.trim();
      const body = req.body.trim();
      if (!title) throw errors.invalidArgument('a notice needs a title', 'title');
      if ([...title].length > REPORT_LIMITS.title) throw errors.tooLong('title', REPORT_LIMITS.title);
      if ([...body].length > REPORT_LIMITS.body) throw errors.tooLong('body', REPORT_LIMITS.body);
      await access.requireStepUp(op);
      const n: NoticeRow = { id: p.ids.next(), title, body, authorId: op.userId, createdAt: p.clock.now() };
      await repo.insertNotice(n);
      await access.audit(op, 'notice.publish', `notice:${n.id}`, title);
      // Live to every open app; one who is offline reads it with ListSystemNotices.
      await p.bus
        .publish(
          SYSTEM_NOTICE_CHANNEL,
          encodeSystemNotice({ id: n.id, title, body, createdAtMs: n.createdAt }),
        )
        .catch((err: unknown) => p.logger.warn({ err, notice_id: n.id }, 'system notice not pushed'));
      return { notice: noticeMsg(n) };
    },
    async listAuditLog(req, ctx) {
      await access.operator(ctx, ROLE_ADMIN);
      const limit = parseLimit(req.limit);
      if (req.target.length > 96) throw errors.tooLong('target', 96);
      const rows = await repo.auditLog({
        cursor: parseCursor(req.cursor),
        limit,
        ...(req.actorId && { actorId: parseId(req.actorId, 'actorId') }),
        ...(req.target && { target: req.target }),
      });
      return {
        entries: rows.map((r) => ({ ...r, at: ts(r.at) })),
        nextCursor: rows.length === limit ? rows.at(-1)!.id : '',
      };
    },
  };
}

/**
 * Takes the content down through the service that owns it: a message is recalled for
 * everyone, a moment deleted, a square post removed (its author told the reason). Another
 * kind has no owner to ask: the resolution records the decision and closes its reports.
 */
async function takeDown(p: AdminParts, r: ReportRow, moderatorId: string, reason: string): Promise<void> {
  if (r.kind === 'message') {
    const [conversationId, seq] = r.targetId.split(':');
    await p.peers.message.internal.moderatorRecall({ conversationId, seq: Number(seq), moderatorId });
  } else if (r.kind === 'moment' && isId(r.targetId)) {
    await p.peers.moments.internal.removeMoment({ momentId: r.targetId });
  } else if (r.kind === 'square_post' && isId(r.targetId)) {
    // The square keeps a reason of at most 500 characters (the console allows 1000).
    await p.peers.square.internal.removePost({ postId: r.targetId, moderatorId, reason: clip(reason, 500) });
  }
}

/**
 * Keeps the content: the square closes its own open reports of the post as kept, each reporter
 * told the reason (as on removal). Other kinds keep no reports of their own.
 */
async function keep(p: AdminParts, r: ReportRow, moderatorId: string, reason: string): Promise<void> {
  if (r.kind === 'square_post' && isId(r.targetId))
    await p.peers.square.internal.keepPost({ postId: r.targetId, moderatorId, reason: clip(reason, 500) });
}

/** SafetyService (every signed-in user) and AdminInternalService (other services). */
export function safetyRpc(p: AdminParts, reports: Reports): ServiceImpl<typeof pb.SafetyService> {
  return {
    async reportMessage(req, ctx) {
      const caller = requireCaller(ctx);
      const conversationId = parseId(req.conversationId, 'conversationId');
      if (req.seq <= 0) throw errors.invalidArgument('seq must be positive', 'seq');
      const { message: m } = await p.peers.message.internal.getMessageForReport({
        userId: caller.userId,
        conversationId,
        seq: req.seq,
      });
      if (!m) throw errors.notFound('no such message');
      const author = (await p.peers.auth.directory.lookupUsers({ userIds: [m.senderId] })).users[0];
      const snapshot: Snapshot = {
        authorId: m.senderId,
        authorNickname: author?.nickname ?? '',
        ...messageSnapshot(m),
        createdAt: m.createdAt ? timestampMs(m.createdAt) : 0,
      };
      const id = await reports.file(
        'message',
        `${conversationId}:${req.seq}`,
        caller.userId,
        req.reason,
        snapshot,
      );
      return { reportId: id };
    },
    async listSystemNotices(_req, ctx) {
      requireCaller(ctx);
      return { notices: (await p.repo.notices(20)).map(noticeMsg) };
    },
  };
}

export function adminInternalRpc(reports: Reports): ServiceImpl<typeof pb.AdminInternalService> {
  return {
    async fileReport(req) {
      return { reportId: await fileRequest(reports, req) };
    },
  };
}

/** Files a report another service sent (AdminInternalService.FileReport, or the bus). */
export async function fileRequest(reports: Reports, req: pb.FileReportRequest): Promise<string> {
  const s = req.snapshot;
  return reports.file(
    req.kind,
    req.targetId,
    parseId(req.reporterId, 'reporterId'),
    req.reason,
    {
      authorId: s?.authorId ?? '',
      authorNickname: clip(s?.authorNickname ?? '', 128),
      text: s?.text ?? '',
      detail: clip(s?.detail ?? '', 300),
      createdAt: s?.createdAt ? timestampMs(s.createdAt) : 0,
    },
    req.sourceId,
  );
}
