import type { HandlerContext } from '@connectrpc/connect';
import type { Client } from '@connectrpc/connect';
import type { auth } from '@mychat/protocol';
import type { Kv } from '../../adapters/kv/kv.js';
import type { Clock } from '../../kernel/clock.js';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import { callInfo } from '../../rpc/call-context.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { AdminRepository } from './admin.repository.js';

export const ROLE_MODERATOR = 1;
export const ROLE_ADMIN = 2;

/** The console user behind a call, with their role. */
export interface Operator {
  userId: string;
  sessionId: string;
  requestId: string;
  role: number;
}

const adminRequired = (what = 'the console') =>
  new AppError(ErrorCode.ADMIN_REQUIRED, `${what} is for operators with the right role`);

/**
 * Who may use the console (roles live with the accounts in auth, asked on every call, so a
 * role taken away counts at once), the step-up (the password again within a few minutes, per
 * session, in the kv) and the audit log every action writes.
 */
export class ConsoleAccess {
  constructor(
    private readonly d: {
      directory: Client<typeof auth.UserDirectoryService>;
      kv: Kv;
      repo: AdminRepository;
      ids: IdGenerator;
      clock: Clock;
      stepUpMs: number;
    },
  ) {}

  /** The caller if their role is at least `need`; ADMIN_REQUIRED for anyone else. */
  async operator(ctx: HandlerContext, need: number): Promise<Operator> {
    const info = callInfo(ctx);
    const c = info.caller;
    if (!c) throw errors.unauthenticated();
    const { accounts } = await this.d.directory.getAccounts({ userIds: [c.userId] });
    const a = accounts[0];
    if (!a || a.disabled || a.role < ROLE_MODERATOR) throw adminRequired();
    if (a.role < need) throw adminRequired('this action');
    return { userId: c.userId, sessionId: c.sessionId, requestId: info.requestId, role: a.role };
  }

  /** Checks the password (auth's per-user pauses apply) and opens the step-up window. */
  async confirm(op: Operator, password: string): Promise<number> {
    if (!password) throw errors.invalidArgument('the password is required', 'password');
    await this.d.directory.verifyPassword({ userId: op.userId, password });
    const until = this.d.clock.now() + this.d.stepUpMs;
    await this.d.kv.set(this.key(op), String(until), { ttlMs: this.d.stepUpMs });
    return until;
  }

  /** When the session's step-up ends; undefined without one. */
  async stepUpUntil(op: Operator): Promise<number | undefined> {
    const v = Number(await this.d.kv.get(this.key(op)));
    return v > this.d.clock.now() ? v : undefined;
  }

  /** STEP_UP_REQUIRED unless ConfirmPassword succeeded on this session within the window. */
  async requireStepUp(op: Operator): Promise<void> {
    if ((await this.stepUpUntil(op)) === undefined) {
      throw new AppError(
        ErrorCode.STEP_UP_REQUIRED,
        'confirm your password first: destructive actions need it within the last minutes',
      );
    }
  }

  /** One row of the audit log: who did what to what, why, under which request. */
  async audit(op: Operator, action: string, target: string, reason: string): Promise<void> {
    await this.d.repo.audit({
      id: this.d.ids.next(),
      actorId: op.userId,
      action,
      target,
      reason: [...reason].slice(0, 1000).join(''),
      requestId: op.requestId.slice(0, 128),
      at: this.d.clock.now(),
    });
  }

  private key(op: Operator): string {
    return `admin:step-up:${op.sessionId}`;
  }
}

/** A reason for an action: required, at most 1 000 characters. */
export function parseReason(raw: string, field = 'reason'): string {
  const r = raw.trim();
  if (!r) throw errors.invalidArgument('give a reason: it goes into the audit log', field);
  if ([...r].length > 1000) throw errors.tooLong(field, 1000);
  return r;
}
