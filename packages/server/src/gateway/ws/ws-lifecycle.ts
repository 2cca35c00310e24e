import { create } from '@bufbuild/protobuf';
import { gateway } from '@mychat/protocol';
import type { RawData, WebSocket } from 'ws';
import type { Clock } from '../../kernel/clock.js';
import { AppError, ErrorCode } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';
import type { AccessTokens } from '../../adapters/tokens/access-tokens.js';
import type { SessionRevocations } from '../../contracts/sessions.js';
import type { ReadBudget } from '../read-budget.js';
import { decodeClientFrame, errorFrame, errorFrameFrom, serverFrame } from './ws-codec.js';
import { WsClose } from './ws-close-codes.js';
import { WsConnection } from './ws-connection.js';
import type { WsMetrics } from './ws-metrics.js';
import type { PresenceTracker } from './ws-presence.js';
import { newRequestId, type RequestBody, type RequestHandler } from './ws-requests.js';
import type { SharedSocketLimits, SocketCloseOrder } from './ws-shared-limits.js';
import type { LocalUsers } from './ws-users.js';

/** Frames a client may send after Auth and before AuthOk (pipelining); more is abuse. */
const MAX_EARLY_FRAMES = 16;
/** Requests one socket may have in flight; more are refused with RATE_LIMITED. */
const MAX_IN_FLIGHT = 64;

/** Requests that get no answer when their request id is 0 (fire and forget). */
const QUIET_FRAMES = new Set<string>(['delivered', 'read', 'typing', 'callSignal']);

/** Requests a client can repeat at will that cost the server a read: paid from the user's ReadBudget. */
const READ_FRAMES = new Set<string>(['sync', 'history', 'ping']);

export interface LifecycleDeps {
  tokens: AccessTokens;
  revocations: SessionRevocations;
  users: LocalUsers;
  presence: PresenceTracker;
  handle: RequestHandler;
  metrics: WsMetrics;
  logger: Logger;
  clock: Clock;
  now(): number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  maxQueuedBytes: number;
  /** Told to clients in AuthOk, so they can refuse to send what the socket would not take. */
  maxFrameBytes: number;
  /** The per-user read budget, shared with the HTTP edge of this gateway. */
  reads: ReadBudget;
  /** Open sockets per session and per user; the oldest over either cap is closed with 4430. */
  maxSocketsPerSession: number;
  maxSocketsPerUser: number;
  /** When set, the pending pool and the socket caps are kept there for several gateways (workers). */
  shared?: SharedSocketLimits | undefined;
}

/**
 * The typed life of a socket, one hook per step (after Hocuspocus): onConnect ->
 * onAuthenticate (the first frame, nothing else is handled before it succeeds) ->
 * onFrame for each later frame -> onDisconnect. Timeouts live in the gateway's sweep.
 */
export class WsLifecycle {
  /** Every socket on this gateway, in any phase. */
  readonly connections = new Set<WsConnection>();
  private pendingCount = 0;
  /** Unauthenticated sockets by client address (each address gets a share of the pool). */
  private readonly pendingByIp = new Map<string, number>();
  private readonly unauthenticated = new WeakSet<WsConnection>();
  private nextId = 1;
  private readonly countIn: (type: string) => void;
  private readonly countOut: (type: string) => void;

  constructor(private readonly d: LifecycleDeps) {
    this.countIn = (type) => d.metrics.framesIn.incBy(type);
    this.countOut = (type) => d.metrics.framesOut.incBy(type);
  }

  /** Sockets not yet authenticated (the upgrade cap, the gauge); a count, so an upgrade costs O(1). */
  get pending(): number {
    return this.pendingCount;
  }

  /** Unauthenticated sockets from `clientIp` now. */
  pendingFrom(clientIp: string): number {
    return this.pendingByIp.get(clientIp) ?? 0;
  }

  private leavePending(conn: WsConnection): void {
    if (!this.unauthenticated.delete(conn)) return;
    this.d.shared?.pendingLeft(conn.clientIp);
    this.pendingCount--;
    const n = this.pendingFrom(conn.clientIp) - 1;
    if (n > 0) this.pendingByIp.set(conn.clientIp, n);
    else this.pendingByIp.delete(conn.clientIp);
  }

  onConnect(ws: WebSocket, clientIp: string): WsConnection {
    const id = this.nextId++;
    const conn = new WsConnection(id, ws, clientIp, this.d.logger.child({ conn_id: id }), {
      maxQueuedBytes: this.d.maxQueuedBytes,
      now: this.d.now,
      sent: this.countOut,
    });
    this.connections.add(conn);
    this.unauthenticated.add(conn);
    this.pendingCount++;
    this.pendingByIp.set(clientIp, this.pendingFrom(clientIp) + 1);
    const alive = () => (conn.lastFrameAt = this.d.now());
    ws.on('message', (data, isBinary) => {
      alive();
      this.onFrame(conn, toBuffer(data), isBinary);
    });
    // Protocol-level pings from native clients count as life too.
    ws.on('ping', alive);
    ws.on('pong', alive);
    ws.on('error', (err: Error & { code?: string }) => {
      // ws closes the socket itself after a receive error (1009 too big, 1007 bad UTF-8...).
      conn.closeCode ??=
        err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
          ? WsClose.MESSAGE_TOO_BIG
          : WsClose.PROTOCOL_VIOLATION;
      conn.log.debug({ err_code: err.code, err: err.message }, 'socket error');
    });
    ws.on('close', (code) => this.onDisconnect(conn, code));
    conn.log.debug({ client_ip: clientIp }, 'socket connected');
    return conn;
  }

  private onFrame(conn: WsConnection, data: Buffer, isBinary: boolean): void {
    if (conn.phase === 'closing' || conn.phase === 'closed') return;
    if (conn.phase === 'authenticating') {
      if (conn.early.length >= MAX_EARLY_FRAMES)
        return conn.close(WsClose.PROTOCOL_ERROR, 'too many frames before AuthOk');
      conn.early.push({ data, isBinary });
      return;
    }
    const decoded = decodeClientFrame(data, isBinary);
    if (!decoded.ok) {
      this.d.metrics.framesIn.incBy('malformed');
      if (conn.phase === 'awaiting-auth') conn.wire = isBinary ? 'binary' : 'text';
      conn.send(errorFrame(0, ErrorCode.MALFORMED_FRAME, 'the frame could not be decoded as a ClientFrame'));
      return conn.close(WsClose.PROTOCOL_ERROR, 'malformed frame');
    }
    const { frame } = decoded;
    this.countIn(frame.body.case ?? 'unknown');
    if (conn.phase === 'awaiting-auth') {
      conn.wire = isBinary ? 'binary' : 'text';
      if (frame.body.case !== 'auth') {
        conn.send(errorFrame(frame.requestId, ErrorCode.UNAUTHENTICATED, 'the first frame must be auth'));
        return conn.close(WsClose.UNAUTHENTICATED, 'auth required');
      }
      return void this.onAuthenticate(conn, frame.requestId, frame.body.value.accessToken);
    }
    this.onRequest(conn, frame);
  }

  private async onAuthenticate(conn: WsConnection, requestId: number, token: string): Promise<void> {
    conn.phase = 'authenticating';
    try {
      const claims = await this.d.tokens.verify(token, this.d.clock.now());
      conn.expiresAt = claims.exp * 1000;
      conn.caller = {
        userId: claims.userId,
        sessionId: claims.sessionId,
        clientType: claims.clientType,
        deviceId: claims.deviceId,
      };
      conn.log = conn.log.child({ user_id: claims.userId, session_id: claims.sessionId });
      // Counted under the user before the revocation check, so an ended-session notice
      // published meanwhile finds this socket (see onSessionEnded).
      await this.d.users.add(conn);
      const reason = await this.d.revocations.reason(claims.sessionId);
      if (reason) throw new AppError(ErrorCode.SESSION_REVOKED, 'this session has ended; log in again');
    } catch (err) {
      if (conn.phase !== 'authenticating') return; // closed meanwhile
      const { frame } = errorFrameFrom(requestId, err);
      // A bad token is the client's problem (4401); anything else is ours (1011, retry later).
      const ours = !isAuthError(err);
      if (ours) conn.log.error({ err }, 'could not authenticate a socket');
      else conn.log.debug({ reason: (err as AppError).reason }, 'socket authentication refused');
      conn.send(frame);
      return conn.close(ours ? WsClose.INTERNAL_ERROR : WsClose.UNAUTHENTICATED, 'authentication failed');
    }
    if (conn.phase !== 'authenticating') return; // session ended or socket closed meanwhile
    conn.phase = 'open';
    this.leavePending(conn);
    this.d.presence.online(conn.caller.userId);
    conn.send(this.authOk(conn, requestId));
    this.enforceSocketCaps(conn);
    conn.log.debug({ wire: conn.wire }, 'socket authenticated');
    for (const f of conn.early.splice(0)) this.onFrame(conn, f.data, f.isBinary);
  }

  private authOk(conn: WsConnection, requestId: number): gateway.ServerFrame {
    return serverFrame(requestId, {
      case: 'authOk',
      value: create(gateway.AuthOkSchema, {
        userId: conn.caller!.userId,
        sessionId: conn.caller!.sessionId,
        heartbeatIntervalMs: this.d.heartbeatIntervalMs,
        heartbeatTimeoutMs: this.d.heartbeatTimeoutMs,
        serverTimeMs: this.d.clock.now(),
        expiresAtMs: conn.expiresAt,
        maxFrameBytes: this.d.maxFrameBytes,
      }),
    });
  }

  /**
   * `auth` on an open socket: a fresh token of the same session moves the socket's expiry.
   * Another session's or user's token is refused (a socket never changes identity), and so
   * is a bad one; either way the socket stays as it was until its own token expires.
   */
  private async onReauthenticate(conn: WsConnection, requestId: number, token: string): Promise<void> {
    conn.inFlight++;
    try {
      const claims = await this.d.tokens.verify(token, this.d.clock.now());
      const me = conn.caller!;
      if (claims.userId !== me.userId || claims.sessionId !== me.sessionId)
        throw new AppError(ErrorCode.INVALID_ARGUMENT, 'this socket belongs to another session');
      if (await this.d.revocations.reason(claims.sessionId))
        throw new AppError(ErrorCode.SESSION_REVOKED, 'this session has ended; log in again');
      if (conn.phase !== 'open') return;
      conn.expiresAt = Math.max(conn.expiresAt, claims.exp * 1000);
      conn.send(this.authOk(conn, requestId));
    } catch (err) {
      const { frame, internal } = errorFrameFrom(requestId, err);
      if (internal) conn.log.error({ err }, 'could not re-authenticate a socket');
      if (conn.phase === 'open') conn.send(frame);
    } finally {
      conn.inFlight--;
    }
  }

  /**
   * A socket just opened: when its session or its user now has more open sockets than
   * allowed, the oldest ones are closed (4430), so one token cannot hold thousands of
   * sockets and the newest (the one a person is looking at) keeps working.
   */
  private enforceSocketCaps(conn: WsConnection): void {
    const { userId, sessionId } = conn.caller!;
    // Across workers the primary sees every socket of the user and says which to close.
    if (this.d.shared) return this.d.shared.opened(conn.id, userId, sessionId);
    // Connection ids grow with connect order: sorted, the oldest come first.
    const others = () =>
      this.d.users
        .socketsOf(userId)
        .filter((c) => c !== conn && c.phase === 'open')
        .sort((a, b) => a.id - b.id);
    const shed = (older: WsConnection[], cap: number, why: string) => {
      // `conn` itself counts, and stays: older sockets make room for it.
      for (const old of older.slice(0, Math.max(0, older.length + 1 - cap)))
        old.close(WsClose.TOO_MANY_SOCKETS, why);
    };
    shed(
      others().filter((c) => c.caller!.sessionId === sessionId),
      this.d.maxSocketsPerSession,
      'too many sockets for this session',
    );
    shed(others(), this.d.maxSocketsPerUser, 'too many sockets for this account');
  }

  /** Closes the sockets the keeper of the shared caps said are over them (see SharedSocketLimits). */
  closeOrdered(orders: readonly SocketCloseOrder[]): void {
    for (const o of orders) {
      const conn = this.d.users.socketsOf(o.userId).find((c) => c.id === o.connId);
      if (conn && (conn.phase === 'open' || conn.phase === 'authenticating')) conn.close(o.code, o.reason);
    }
  }

  /** The sweep found the socket's token expired: say why, then close as for a bad token. */
  expire(conn: WsConnection): void {
    conn.send(
      serverFrame(0, {
        case: 'sessionEnded',
        value: create(gateway.SessionEndedSchema, { reason: 'expired' }),
      }),
    );
    conn.close(WsClose.UNAUTHENTICATED, 'token expired');
  }

  private onRequest(conn: WsConnection, frame: gateway.ClientFrame): void {
    const id = frame.requestId;
    const body = frame.body;
    if (body.case === undefined) {
      // A newer client's frame type: say so and carry on, as the contract only grows.
      conn.send(errorFrame(id, ErrorCode.UNKNOWN_FRAME, 'unknown frame type'));
      return;
    }
    // Cursor moves and typing with request id 0 want no answer (the next one supersedes a
    // lost one): at a high message rate that is a frame each way per message saved.
    const quiet = id === 0 && QUIET_FRAMES.has(body.case);
    if (conn.inFlight >= MAX_IN_FLIGHT) {
      if (!quiet)
        conn.send(errorFrame(id, ErrorCode.RATE_LIMITED, 'too many requests in flight on this socket', 1));
      return;
    }
    if (body.case === 'auth') return void this.onReauthenticate(conn, id, body.value.accessToken);
    if (READ_FRAMES.has(body.case)) {
      const waitSeconds = this.d.reads.take(conn.caller!.userId);
      if (waitSeconds) {
        conn.send(errorFrame(id, ErrorCode.RATE_LIMITED, 'too many reads; slow down', waitSeconds));
        return;
      }
    }
    void this.runRequest(conn, id, body, quiet);
  }

  /** Runs one request; answers go out as they finish, so requests on a socket overlap. */
  private async runRequest(conn: WsConnection, id: number, body: RequestBody, quiet: boolean): Promise<void> {
    const requestId = newRequestId();
    const started = this.d.now();
    conn.inFlight++;
    try {
      const answer = await this.d.handle(id, body, {
        caller: conn.caller!,
        clientIp: conn.clientIp,
        requestId,
        receivedAt: started,
      });
      if (!quiet) conn.send(answer);
      // The request id travels to the services in x-request-id: their lines join on it.
      conn.log.debug({ request_id: requestId, frame: body.case, ms: this.d.now() - started }, 'ws request');
    } catch (err) {
      const { frame, internal } = errorFrameFrom(id, err);
      if (internal) conn.log.error({ err, request_id: requestId, frame: body.case }, 'ws request failed');
      if (!quiet) conn.send(frame);
    } finally {
      conn.inFlight--;
    }
  }

  private onDisconnect(conn: WsConnection, peerCode: number): void {
    const code = conn.closeCode ?? peerCode;
    conn.phase = 'closed';
    this.leavePending(conn);
    this.connections.delete(conn);
    this.d.metrics.closes.inc({ code: String(code) });
    if (conn.registered) this.d.shared?.closed(conn.id);
    if (this.d.users.remove(conn)) this.d.presence.offline(conn.userId!);
    conn.log.debug({ close_code: code }, 'socket closed');
  }

  /** Another part of the system ended a session: tell its sockets here why, and close them. */
  onSessionEnded(userId: string, sessionId: string, reason: string): void {
    for (const conn of this.d.users.socketsOf(userId)) {
      if (conn.caller?.sessionId !== sessionId) continue;
      conn.send(
        serverFrame(0, { case: 'sessionEnded', value: create(gateway.SessionEndedSchema, { reason }) }),
      );
      conn.close(reason === 'kicked' ? WsClose.KICKED : WsClose.UNAUTHENTICATED, `session ended: ${reason}`);
    }
  }
}

function isAuthError(err: unknown): boolean {
  return (
    err instanceof AppError &&
    [
      ErrorCode.TOKEN_INVALID,
      ErrorCode.TOKEN_EXPIRED,
      ErrorCode.SESSION_REVOKED,
      ErrorCode.UNAUTHENTICATED,
    ].includes(err.code)
  );
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
