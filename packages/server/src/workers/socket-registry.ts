import { WsClose } from '../gateway/ws/ws-close-codes.js';

/** The socket limits the primary holds for all of its workers together (the `ws.*` keys). */
export interface SocketLimits {
  maxPendingSockets: number;
  maxPendingSocketsPerIp: number;
  maxSocketsPerSession: number;
  maxSocketsPerUser: number;
}

/** A socket some worker must close because its user or session went over a cap. */
export interface CloseOrder {
  worker: number;
  userId: string;
  connId: number;
  code: number;
  reason: string;
}

interface OpenSocket {
  worker: number;
  connId: number;
  sessionId: string;
}

/**
 * What one process would know about its sockets, kept by the primary for every worker: the
 * pool of unauthenticated sockets (in all, and per client address) and each user's open
 * sockets in the order they authenticated. With it the limits hold across workers exactly
 * as in one process: an attacker spreading sockets over the workers meets the same caps.
 *
 * A socket over a cap is closed oldest first (4430), as the single process does; the one
 * that just opened stays. Everything a worker held is released when its link drops.
 */
export class SocketRegistry {
  private pending = 0;
  private readonly pendingByIp = new Map<string, number>();
  /** worker -> client address -> pending sockets it was admitted for. */
  private readonly pendingOf = new Map<number, Map<string, number>>();
  /** userId -> its open sockets, oldest first (a Map keeps insertion order). */
  private readonly users = new Map<string, Map<string, OpenSocket>>();
  /** worker -> connId -> userId, to find a closed socket's user. */
  private readonly ownerOf = new Map<number, Map<number, string>>();

  constructor(private readonly limits: SocketLimits) {}

  /** Sockets not authenticated yet, all workers. */
  get pendingCount(): number {
    return this.pending;
  }

  /** Open (authenticated) sockets of a user, all workers. */
  openOf(userId: string): number {
    return this.users.get(userId)?.size ?? 0;
  }

  /** A place in the pool for a new socket from `ip` on `worker`, or why not (the upgrade's refusal). */
  admit(worker: number, ip: string): 'source' | 'busy' | undefined {
    const fromIp = this.pendingByIp.get(ip) ?? 0;
    if (fromIp >= this.limits.maxPendingSocketsPerIp) return 'source';
    if (this.pending >= this.limits.maxPendingSockets) return 'busy';
    this.pending++;
    this.pendingByIp.set(ip, fromIp + 1);
    let mine = this.pendingOf.get(worker);
    if (!mine) this.pendingOf.set(worker, (mine = new Map()));
    mine.set(ip, (mine.get(ip) ?? 0) + 1);
    return undefined;
  }

  /** A socket admitted for `ip` on `worker` authenticated or closed. */
  left(worker: number, ip: string, count = 1): void {
    const mine = this.pendingOf.get(worker);
    const held = mine?.get(ip) ?? 0;
    const n = Math.min(held, count);
    if (n <= 0) return;
    if (held - n > 0) mine!.set(ip, held - n);
    else mine!.delete(ip);
    this.pending -= n;
    const fromIp = (this.pendingByIp.get(ip) ?? 0) - n;
    if (fromIp > 0) this.pendingByIp.set(ip, fromIp);
    else this.pendingByIp.delete(ip);
  }

  /**
   * A socket authenticated on `worker`. Returns the older sockets to close so that the user's
   * session and the user stay within their caps (the new socket counts, and stays).
   */
  opened(worker: number, connId: number, userId: string, sessionId: string): CloseOrder[] {
    let mine = this.users.get(userId);
    if (!mine) this.users.set(userId, (mine = new Map()));
    let owners = this.ownerOf.get(worker);
    if (!owners) this.ownerOf.set(worker, (owners = new Map()));
    owners.set(connId, userId);
    const key = `${worker}:${connId}`;
    mine.set(key, { worker, connId, sessionId });
    const orders: CloseOrder[] = [];
    const shed = (cap: number, why: string, same?: string) => {
      const older = [...mine.entries()].filter(
        ([k, s]) => k !== key && (same === undefined || s.sessionId === same),
      );
      for (const [k, s] of older.slice(0, Math.max(0, older.length + 1 - cap))) {
        mine.delete(k);
        this.ownerOf.get(s.worker)?.delete(s.connId);
        orders.push({
          worker: s.worker,
          userId,
          connId: s.connId,
          code: WsClose.TOO_MANY_SOCKETS,
          reason: why,
        });
      }
    };
    shed(this.limits.maxSocketsPerSession, 'too many sockets for this session', sessionId);
    shed(this.limits.maxSocketsPerUser, 'too many sockets for this account');
    return orders;
  }

  /** An authenticated socket closed. */
  closed(worker: number, connId: number): void {
    const owners = this.ownerOf.get(worker);
    const userId = owners?.get(connId);
    if (userId === undefined) return;
    owners!.delete(connId);
    const mine = this.users.get(userId);
    mine?.delete(`${worker}:${connId}`);
    if (mine?.size === 0) this.users.delete(userId);
  }

  /** The worker is gone: its sockets and its pool places with it. */
  dropWorker(worker: number): void {
    for (const [ip, n] of [...(this.pendingOf.get(worker) ?? [])]) this.left(worker, ip, n);
    this.pendingOf.delete(worker);
    for (const connId of [...(this.ownerOf.get(worker)?.keys() ?? [])]) this.closed(worker, connId);
    this.ownerOf.delete(worker);
  }
}
