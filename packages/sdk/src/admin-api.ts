/**
 * @mychat/sdk/admin: the operator's console (mychat.admin.v1.AdminService) and what every user
 * may do with its queue (SafetyService: report a message, read system notices). A separate entry
 * point, so apps that never open the console never load it: `new AdminApi(client)`.
 */
import type { Timestamp } from '@bufbuild/protobuf/wkt';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import type { Client } from '@connectrpc/connect';
import { admin as pb } from '@mychat/protocol';
import type { Authed } from './chat-backend.js';
import type { MyChatClient } from './client.js';

export type ConsoleRole = 'none' | 'moderator' | 'admin';
export type ReportStatus = 'open' | 'removed' | 'kept';

export interface Account {
  id: string;
  nickname: string;
  email: string;
  phone: string;
  createdAt: number;
  role: ConsoleRole;
  disabled: boolean;
  /** Live sessions. */
  sessions: number;
}

export interface AccountDevice {
  sessionId: string;
  clientType: string;
  deviceId: string;
  name: string;
  createdAt: number;
  lastActiveAt: number;
}

export interface Dashboard {
  usersOnline: number;
  messagesPerSecond: number;
  messagesTotal: number;
  storageBytes: number;
  storedFiles: number;
  accounts: number;
  disabledAccounts: number;
  openReports: number;
}

export interface GroupInfo {
  id: string;
  name: string;
  ownerId: string;
  announcement: string;
  createdAt: number;
  /** role: 1 member, 2 admin, 3 owner. */
  members: { userId: string; nickname: string; role: number }[];
}

export interface Report {
  id: string;
  kind: string;
  targetId: string;
  reporterId: string;
  reason: string;
  snapshot: { authorId: string; authorNickname: string; text: string; detail: string; createdAt: number };
  status: ReportStatus;
  createdAt: number;
  resolvedBy: string;
  resolution: string;
  resolvedAt: number;
}

export interface SystemNotice {
  id: string;
  title: string;
  body: string;
  createdAt: number;
}

export interface AuditEntry {
  id: string;
  actorId: string;
  action: string;
  target: string;
  reason: string;
  requestId: string;
  at: number;
}

const ms = (t: Timestamp | undefined) => (t ? timestampMs(t) : 0);
const ROLES: ConsoleRole[] = ['none', 'moderator', 'admin'];
const STATUSES: Record<ReportStatus, pb.ReportStatus> = {
  open: pb.ReportStatus.OPEN,
  removed: pb.ReportStatus.REMOVED,
  kept: pb.ReportStatus.KEPT,
};
const statusName = (s: pb.ReportStatus): ReportStatus =>
  s === pb.ReportStatus.REMOVED ? 'removed' : s === pb.ReportStatus.KEPT ? 'kept' : 'open';

const toAccount = (a: pb.Account): Account => ({
  id: a.id,
  nickname: a.nickname,
  email: a.email,
  phone: a.phone,
  createdAt: ms(a.createdAt),
  role: ROLES[a.role] ?? 'none',
  disabled: a.disabled,
  sessions: a.sessions,
});

const toGroup = (g: pb.GroupInfo | undefined): GroupInfo => ({
  id: g?.id ?? '',
  name: g?.name ?? '',
  ownerId: g?.ownerId ?? '',
  announcement: g?.announcement ?? '',
  createdAt: ms(g?.createdAt),
  members: (g?.members ?? []).map((m) => ({ userId: m.userId, nickname: m.nickname, role: m.role })),
});

const toReport = (r: pb.Report): Report => ({
  id: r.id,
  kind: r.kind,
  targetId: r.targetId,
  reporterId: r.reporterId,
  reason: r.reason,
  snapshot: {
    authorId: r.snapshot?.authorId ?? '',
    authorNickname: r.snapshot?.authorNickname ?? '',
    text: r.snapshot?.text ?? '',
    detail: r.snapshot?.detail ?? '',
    createdAt: ms(r.snapshot?.createdAt),
  },
  status: statusName(r.status),
  createdAt: ms(r.createdAt),
  resolvedBy: r.resolvedBy,
  resolution: r.resolution,
  resolvedAt: ms(r.resolvedAt),
});

const toNotice = (n: pb.SystemNotice | undefined): SystemNotice => ({
  id: n?.id ?? '',
  title: n?.title ?? '',
  body: n?.body ?? '',
  createdAt: ms(n?.createdAt),
});

/**
 * The console. Every method rejects with MyChatError `ADMIN_REQUIRED` for a user without the
 * role; destructive ones with `STEP_UP_REQUIRED` until `confirmPassword` succeeded in the last
 * minutes on this session. `reason` is required where asked: it goes into the audit log.
 */
export class AdminApi {
  private readonly c: Client<typeof pb.AdminService>;
  private readonly s: Client<typeof pb.SafetyService>;
  private readonly authed: Authed;

  constructor(client: MyChatClient) {
    const a = client.rpcFor(pb.AdminService);
    this.c = a.rpc;
    this.authed = a.authed;
    this.s = client.rpcFor(pb.SafetyService).rpc;
  }

  /** The caller's role and when their step-up ends (0: none); ADMIN_REQUIRED for everyone else. */
  async access(): Promise<{ role: ConsoleRole; userId: string; stepUpUntil: number }> {
    const r = await this.authed((h) => this.c.getConsoleAccess({}, h));
    return { role: ROLES[r.role] ?? 'none', userId: r.userId, stepUpUntil: ms(r.stepUpUntil) };
  }

  /** The password again; resolves with when the step-up ends. */
  async confirmPassword(password: string): Promise<number> {
    return ms((await this.authed((h) => this.c.confirmPassword({ password }, h))).stepUpUntil);
  }

  async dashboard(): Promise<Dashboard> {
    const r = await this.authed((h) => this.c.getDashboard({}, h));
    return {
      usersOnline: Number(r.usersOnline),
      messagesPerSecond: r.messagesPerSecond,
      messagesTotal: Number(r.messagesTotal),
      storageBytes: Number(r.storageBytes),
      storedFiles: Number(r.storedFiles),
      accounts: Number(r.accounts),
      disabledAccounts: Number(r.disabledAccounts),
      openReports: Number(r.openReports),
    };
  }

  /** By exact email, phone or id, else a nickname prefix; empty: the newest accounts. */
  async searchAccounts(query: string, limit = 20): Promise<Account[]> {
    return (await this.authed((h) => this.c.searchAccounts({ query, limit }, h))).accounts.map(toAccount);
  }

  async devices(userId: string): Promise<AccountDevice[]> {
    const r = await this.authed((h) => this.c.listAccountDevices({ userId }, h));
    return r.devices.map((d) => ({
      sessionId: d.sessionId,
      clientType: d.clientType,
      deviceId: d.deviceId,
      name: d.name,
      createdAt: ms(d.createdAt),
      lastActiveAt: ms(d.lastActiveAt),
    }));
  }

  async setDisabled(userId: string, disabled: boolean, reason: string): Promise<Account> {
    const r = await this.authed((h) => this.c.setAccountDisabled({ userId, disabled, reason }, h));
    return toAccount(r.account!);
  }

  /** Resolves with the new password (shown once). */
  async resetPassword(userId: string, reason: string): Promise<string> {
    return (await this.authed((h) => this.c.resetAccountPassword({ userId, reason }, h))).temporaryPassword;
  }

  async deleteAccount(userId: string, reason: string): Promise<void> {
    await this.authed((h) => this.c.deleteAccount({ userId, reason }, h));
  }

  async setRole(userId: string, role: ConsoleRole, reason: string): Promise<Account> {
    const r = await this.authed((h) =>
      this.c.setAccountRole({ userId, role: ROLES.indexOf(role), reason }, h),
    );
    return toAccount(r.account!);
  }

  async group(groupId: string): Promise<GroupInfo> {
    return toGroup((await this.authed((h) => this.c.inspectGroup({ groupId }, h))).group);
  }

  async dissolveGroup(groupId: string, reason: string): Promise<void> {
    await this.authed((h) => this.c.dissolveGroup({ groupId, reason }, h));
  }

  async transferGroup(groupId: string, newOwnerId: string, reason: string): Promise<GroupInfo> {
    return toGroup(
      (await this.authed((h) => this.c.transferGroup({ groupId, newOwnerId, reason }, h))).group,
    );
  }

  async reports(
    status: ReportStatus = 'open',
    cursor = '',
    limit = 50,
  ): Promise<{ reports: Report[]; nextCursor: string }> {
    const r = await this.authed((h) => this.c.listReports({ status: STATUSES[status], cursor, limit }, h));
    return { reports: r.reports.map(toReport), nextCursor: r.nextCursor };
  }

  /** remove: take the content down (a message is recalled for everyone); else keep it. */
  async resolveReport(reportId: string, remove: boolean, reason: string): Promise<Report> {
    return toReport(
      (await this.authed((h) => this.c.resolveReport({ reportId, remove, reason }, h))).report!,
    );
  }

  async publishNotice(title: string, body: string): Promise<SystemNotice> {
    return toNotice((await this.authed((h) => this.c.publishSystemNotice({ title, body }, h))).notice);
  }

  /**
   * Admins: installs a sticker pack (表情包) everyone sees, of images the admin uploaded
   * (1-200, each at most 1 MB, in the picker's order; optionally an emoji each).
   */
  async installStickerPack(name: string, mediaIds: string[], emojis: string[] = []): Promise<string> {
    return (await this.authed((h) => this.c.installStickerPack({ name, mediaIds, emojis }, h))).packId;
  }

  /** Admins: removes an installed pack (stickers already sent keep their image). */
  async deleteStickerPack(packId: string): Promise<void> {
    await this.authed((h) => this.c.deleteStickerPack({ packId }, h));
  }

  async auditLog(
    o: { cursor?: string; limit?: number; actorId?: string; target?: string } = {},
  ): Promise<{ entries: AuditEntry[]; nextCursor: string }> {
    const r = await this.authed((h) =>
      this.c.listAuditLog(
        { cursor: o.cursor ?? '', limit: o.limit ?? 50, actorId: o.actorId ?? '', target: o.target ?? '' },
        h,
      ),
    );
    return { entries: r.entries.map((e) => ({ ...e, at: ms(e.at) })), nextCursor: r.nextCursor };
  }

  /** Any user: reports a message they can see (ALREADY_REPORTED while their report is open). */
  async reportMessage(conversationId: string, seq: number, reason: string): Promise<string> {
    return (await this.authed((h) => this.s.reportMessage({ conversationId, seq, reason }, h))).reportId;
  }

  /** Any user: the operator's notices, newest first. */
  async notices(): Promise<SystemNotice[]> {
    return (await this.authed((h) => this.s.listSystemNotices({}, h))).notices.map(toNotice);
  }
}
