import type { ProxyTrust } from '../../http/proxy-trust.js';
import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type contacts, gateway } from '@mychat/protocol';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import type { Bus, BusSubscription } from '../../adapters/bus/bus.js';
import type { Kv } from '../../adapters/kv/kv.js';
import type { HttpServer } from '../../http/http-server.js';
import type { Clock } from '../../kernel/clock.js';
import type { Logger } from '../../kernel/logger.js';
import { callHeaders } from '../../rpc/call-context.js';
import type { AccessTokens } from '../../adapters/tokens/access-tokens.js';
import type { SessionRevocations } from '../../contracts/sessions.js';
import { decodeSessionEndedNotice, SESSION_ENDED_CHANNEL } from '../../contracts/session-ended-notice.js';
import { decodeSystemNotice, SYSTEM_NOTICE_CHANNEL } from '../../contracts/system-notice.js';
import type { ReadBudget } from '../read-budget.js';
import { serverFrame } from './ws-codec.js';
import { WsClose } from './ws-close-codes.js';
import { WsLifecycle } from './ws-lifecycle.js';
import { createWsMetrics } from './ws-metrics.js';
import { PresenceTracker } from './ws-presence.js';
import { createRequestHandler, newRequestId, type SocketMessages } from './ws-requests.js';
import type { SocketCalls } from './ws-calls.js';
import type { SharedSocketLimits } from './ws-shared-limits.js';
import {
  checkUpgrade,
  normalizeOrigin,
  poolRefusal,
  refuseUpgrade,
  type UpgradeRefusal,
} from './ws-upgrade.js';
import { LocalUsers } from './ws-users.js';
import type { wsConfigSchema } from './ws.config.js';

/** How long a socket may take to finish closing before its TCP connection is cut, ms. */
const CLOSE_GRACE_MS = 3_000;
/** Largest random delay told to draining clients, so they do not all reconnect at once. */
const RECONNECT_SPREAD_MS = 2_000;

export interface WsGatewayDeps {
  http: HttpServer;
  /** The message service for the sockets' requests (sends batched when it is remote). */
  messages: SocketMessages;
  /** The calls service, for the call frames (absent: they are answered UNKNOWN_FRAME). */
  calls?: SocketCalls | undefined;
  /** Who sees a user's presence. */
  contacts: Client<typeof contacts.ContactsInternalService>;
  tokens: AccessTokens;
  revocations: SessionRevocations;
  bus: Bus;
  kv: Kv;
  logger: Logger;
  metrics: Registry;
  clock: Clock;
  config: ReturnType<(typeof wsConfigSchema)['parse']>;
  /** Which peers may name the client (X-Forwarded-For) and host (X-Forwarded-Host). */
  proxies: ProxyTrust;
  /** The per-user read budget this gateway's HTTP edge spends from too. */
  reads: ReadBudget;
  /** Socket limits kept for several gateways at once (a socket worker's primary); else counted here. */
  shared?: SharedSocketLimits | undefined;
  /** A socket worker's number, told in the 101 answer (`x-mychat-worker`) so tests and operators see where a socket landed. */
  workerId?: number | undefined;
}

export interface WsGateway {
  /** Starts accepting upgrades on /ws. */
  start(): Promise<void>;
  /** Tells every client to reconnect, waits up to drainTimeoutMs, then closes the rest. */
  stop(): Promise<void>;
}

/**
 * The real-time edge at /ws on the shared HTTP server: one socket per device, pushes
 * routed by subscribing to the bus channels of the users connected here (ARCHITECTURE
 * section 4 and 6). Deadlines (auth, heartbeat, lingering closes) and presence timing are
 * checked by one sweep for all sockets, not by timers per socket.
 */
export function createWsGateway(d: WsGatewayDeps): WsGateway {
  const c = d.config;
  const log = d.logger.child({ component: 'ws' });
  const now = () => performance.now();
  const allowedOrigins = new Set(c.allowedOrigins.map(normalizeOrigin));
  const wss = new WebSocketServer({ noServer: true, maxPayload: c.maxFrameBytes, perMessageDeflate: false });
  const metrics = createWsMetrics(d.metrics, () => {
    const pending = lifecycle.pending;
    return { pending, open: lifecycle.connections.size - pending };
  });
  const users = new LocalUsers({ bus: d.bus, logger: log, delivered: () => metrics.pushFanout.inc() });
  const audienceClient = d.contacts;
  const presence = new PresenceTracker({
    instanceId: `gw-${randomUUID()}`,
    kv: d.kv,
    bus: d.bus,
    logger: log,
    clock: d.clock,
    now,
    ttlMs: c.heartbeatTimeoutMs,
    // Several refreshes per TTL, so one slow kv round trip does not let the marker lapse.
    refreshMs: Math.min(c.heartbeatIntervalMs, Math.floor(c.heartbeatTimeoutMs / 3)),
    debounceMs: c.presenceDebounceMs,
    audience: async (userId) =>
      (
        await audienceClient.listPresenceAudience(
          { userId },
          { headers: callHeaders({ requestId: newRequestId() }) },
        )
      ).userIds,
  });
  const lifecycle: WsLifecycle = new WsLifecycle({
    tokens: d.tokens,
    revocations: d.revocations,
    users,
    presence,
    handle: createRequestHandler(d.messages, d.clock, d.calls),
    metrics,
    logger: log,
    clock: d.clock,
    now,
    heartbeatIntervalMs: c.heartbeatIntervalMs,
    heartbeatTimeoutMs: c.heartbeatTimeoutMs,
    maxQueuedBytes: c.maxQueuedBytes,
    maxFrameBytes: c.maxFrameBytes,
    reads: d.reads,
    maxSocketsPerSession: c.maxSocketsPerSession,
    maxSocketsPerUser: c.maxSocketsPerUser,
    shared: d.shared,
  });
  d.shared?.onClose((orders) => lifecycle.closeOrdered(orders));
  if (d.workerId !== undefined) {
    const header = `x-mychat-worker: ${d.workerId}`;
    wss.on('headers', (headers) => headers.push(header));
  }

  let stopping = false;
  let sweepTimer: NodeJS.Timeout | undefined;
  let sessionEnded: BusSubscription | undefined;
  let systemNotices: BusSubscription | undefined;

  const refuse = (req: IncomingMessage, socket: Duplex, refusal: UpgradeRefusal) => {
    metrics.upgradesRefused.inc({ reason: refusal.reason });
    log.debug({ reason: refusal.reason, origin: req.headers.origin }, 'upgrade refused');
    refuseUpgrade(socket, refusal.status, refusal.message);
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const ip = d.proxies.clientAddress(req);
    const shared = d.shared;
    const refusal = checkUpgrade(req, {
      allowedOrigins,
      forwardedHost: d.proxies.forwardedHeader(req, 'host'),
      // With shared limits the pool is checked by their keeper, below.
      pending: shared ? 0 : lifecycle.pending,
      maxPending: c.maxPendingSockets,
      pendingFromIp: shared ? 0 : lifecycle.pendingFrom(ip),
      maxPendingPerIp: c.maxPendingSocketsPerIp,
      stopping,
    });
    if (refusal) return refuse(req, socket, refusal);
    if (!shared) return void wss.handleUpgrade(req, socket, head, (ws) => lifecycle.onConnect(ws, ip));
    shared.admitPending(ip).then(
      (full) => {
        if (full) return refuse(req, socket, poolRefusal(full));
        // Admitted: the place is given back when the socket authenticates or closes, and
        // here when it never becomes a WebSocket at all.
        if (socket.destroyed) return shared.pendingLeft(ip);
        const gone = () => shared.pendingLeft(ip);
        socket.once('close', gone);
        if (stopping) return void socket.destroy();
        wss.handleUpgrade(req, socket, head, (ws) => {
          socket.off('close', gone);
          lifecycle.onConnect(ws, ip);
        });
      },
      (err: unknown) => {
        log.warn({ err }, 'could not ask for a place in the socket pool');
        refuse(req, socket, poolRefusal('busy'));
      },
    );
  };

  /** The one periodic check for every socket and for presence. */
  const sweep = () => {
    const t = now();
    const wall = d.clock.now();
    for (const conn of lifecycle.connections) {
      switch (conn.phase) {
        case 'awaiting-auth':
        case 'authenticating':
          if (t - conn.openedAt > c.authTimeoutMs) conn.close(WsClose.UNAUTHENTICATED, 'auth timeout');
          break;
        case 'open':
          if (t - conn.lastFrameAt > c.heartbeatTimeoutMs)
            conn.close(WsClose.HEARTBEAT_TIMEOUT, 'heartbeat timeout');
          else if (conn.expiresAt && wall >= conn.expiresAt) lifecycle.expire(conn);
          else if (conn.overQueued()) conn.close(WsClose.SLOW_CONSUMER, 'slow consumer');
          break;
        case 'closing':
          // A peer that stopped reading never answers the close frame queued behind its data.
          if (t - conn.closingAt > CLOSE_GRACE_MS) conn.terminate();
          break;
      }
    }
    presence.tick(t);
  };
  const tickMs = Math.max(
    20,
    Math.min(1_000, Math.floor(Math.min(c.authTimeoutMs, c.heartbeatTimeoutMs) / 5)),
  );

  const onSessionEnded = (payload: Uint8Array) => {
    const ended = decodeSessionEndedNotice(payload);
    if (!ended) return void log.warn('ignored an undecodable session-ended notice');
    lifecycle.onSessionEnded(ended.userId, ended.sessionId, ended.reason);
  };

  /** An operator's notice to everyone: one frame, sent to every open socket of this gateway. */
  const onSystemNotice = (payload: Uint8Array) => {
    const value = decodeSystemNotice(payload);
    if (!value) return void log.warn('ignored an undecodable system notice');
    const frame = serverFrame(0, { case: 'systemNotice', value });
    for (const conn of lifecycle.connections) conn.send(frame);
  };

  /**
   * Tells open sockets to reconnect after a random delay up to `spreadMs` and closes them
   * (1012): on drain, and when pushes may have been missed. A reconnecting client syncs, so
   * whatever it missed arrives, in order, exactly once.
   */
  const askToReconnect = (reason: string, spreadMs: number): number => {
    const sockets = [...lifecycle.connections];
    for (const conn of sockets) {
      const afterMs = Math.floor(Math.random() * spreadMs);
      if (conn.phase === 'open')
        conn.send(serverFrame(0, { case: 'reconnect', value: create(gateway.ReconnectSchema, { afterMs }) }));
      conn.close(WsClose.SERVICE_RESTART, reason);
    }
    return sockets.length;
  };

  /**
   * The bus lost its connection and is back: pushes published meanwhile never reached
   * this gateway's clients, and nothing else would tell them, so they resync now.
   */
  const onBusResumed = () => {
    if (stopping) return;
    const n = askToReconnect('missed pushes; reconnect and sync', RECONNECT_SPREAD_MS);
    log.warn({ sockets: n }, 'bus connection was lost: clients told to reconnect and sync');
  };

  /** Resolves when every socket has gone, or after `ms`. */
  const allClosed = (ms: number) =>
    new Promise<void>((resolve) => {
      const deadline = now() + ms;
      const check = () => {
        if (lifecycle.connections.size === 0 || now() >= deadline) return resolve();
        setTimeout(check, 20);
      };
      check();
    });

  return {
    async start() {
      sessionEnded = await d.bus.subscribe(SESSION_ENDED_CHANNEL, onSessionEnded);
      systemNotices = await d.bus.subscribe(SYSTEM_NOTICE_CHANNEL, onSystemNotice);
      d.bus.onResume(onBusResumed);
      d.http.server.on('upgrade', onUpgrade);
      sweepTimer = setInterval(sweep, tickMs);
      sweepTimer.unref();
      log.info({ path: '/ws', max_frame_bytes: c.maxFrameBytes }, 'websocket gateway ready');
    },

    async stop() {
      // Upgrades arriving from now on get 503, so load balancers send them elsewhere.
      stopping = true;
      const draining = askToReconnect('server restarting', RECONNECT_SPREAD_MS);
      if (draining) log.info({ sockets: draining }, 'draining websockets');
      await allClosed(c.drainTimeoutMs);
      for (const conn of lifecycle.connections) conn.terminate();
      await allClosed(1_000); // terminate emits 'close' on the next ticks
      clearInterval(sweepTimer);
      d.http.server.off('upgrade', onUpgrade);
      await presence.flush();
      await users.clear();
      await sessionEnded?.unsubscribe();
      await systemNotices?.unsubscribe();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
