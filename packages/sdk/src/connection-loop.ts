import { gateway } from '@mychat/protocol';
import { atLeast, Backoff, sleep, type BackoffOptions } from './backoff.js';
import { toMyChatError } from './errors.js';
import type { ConnectionState } from './types.js';
import { LocalClose, SocketClosedError, WsConnection, type WebSocketConstructor } from './ws-connection.js';

/** Reasons that mean the session is over: reconnecting cannot help. */
const SESSION_OVER = new Set(['UNAUTHENTICATED', 'SESSION_REVOKED', 'REFRESH_TOKEN_REUSED', 'TOKEN_INVALID']);

const CloseCode = gateway.CloseCode;

/** How long before the socket's token expires a fresh one is sent on it (at most half its life). */
const RENEW_BEFORE_EXPIRY_MS = 60_000;
/** After a failed renewal (offline, refresh refused), the next try. */
const RENEW_RETRY_MS = 5_000;

/** What the loop needs from the client. */
export interface LoopHooks {
  /** A valid access token; `refresh` forces a new one (after the server refused the last). */
  token(refresh: boolean): Promise<string>;
  /** Runs after each authentication, before 'live': the sync engine's catch-up. */
  synced(conn: WsConnection): Promise<void>;
  /** Every pushed frame except reconnect (handled here). */
  push(frame: gateway.ServerFrame): void;
  state(state: ConnectionState, reason: string): void;
  /** The server ended this session (another login, logout, revoked): no reconnect. */
  kicked(reason: string): void;
}

export interface ConnectionLoopOptions {
  /** ws(s)://host/ws */
  url: string;
  WebSocket: () => Promise<WebSocketConstructor>;
  backoff?: BackoffOptions;
  /** A connection live this long resets the backoff. Default 10 000 ms. */
  stableAfterMs?: number;
  /** Opening and authenticating a socket may take this long. Default 15 000 ms. */
  connectTimeoutMs?: number;
}

/**
 * The connection state machine: connecting → authenticating → syncing → live, and on a lost
 * socket reconnecting (jittered exponential backoff, or the server's reconnect{afterMs}) until
 * stopped. 4409 (kicked) and 4430 (too many sockets) stop for good; 4401 refreshes the token
 * once and retries; a catch-up refused with RATE_LIMITED waits its retry-after.
 */
export class ConnectionLoop {
  private current: ConnectionState = 'idle';
  private gen = 0;
  private conn: WsConnection | undefined;
  private wake: AbortController | undefined;
  private renewTimer: ReturnType<typeof setTimeout> | undefined;
  private drainAfterMs: number | undefined;
  private liveWaiters: ((c: WsConnection) => void)[] = [];
  private readonly backoff: Backoff;
  private removeNetworkListeners: (() => void) | undefined;

  constructor(
    private readonly opts: ConnectionLoopOptions,
    private readonly hooks: LoopHooks,
  ) {
    this.backoff = new Backoff(opts.backoff);
  }

  get state(): ConnectionState {
    return this.current;
  }

  /** The socket while live, else undefined. */
  get live(): WsConnection | undefined {
    return this.current === 'live' && this.conn && !this.conn.isClosed ? this.conn : undefined;
  }

  /** The authenticated socket (catching up or live), else undefined. */
  get authenticated(): WsConnection | undefined {
    const ok = this.current === 'live' || this.current === 'syncing';
    return ok && this.conn && !this.conn.isClosed ? this.conn : undefined;
  }

  /** Resolves with the socket the next time the loop is live (now if it is). */
  whenLive(): Promise<WsConnection> {
    const c = this.live;
    if (c) return Promise.resolve(c);
    return new Promise((resolve) => this.liveWaiters.push(resolve));
  }

  /** Starts connecting (no-op when already running). */
  start(): void {
    if (this.current !== 'idle' && this.current !== 'stopped') return;
    const gen = ++this.gen;
    this.backoff.reset();
    this.listenToNetwork();
    void this.run(gen);
  }

  /** Stops for good (until start() again) and closes the socket. */
  stop(reason: string): void {
    if (this.current === 'stopped' || this.current === 'idle') return;
    this.gen++;
    clearTimeout(this.renewTimer);
    this.removeNetworkListeners?.();
    this.wake?.abort();
    this.conn?.close(LocalClose.NORMAL, reason);
    this.conn = undefined;
    this.set('stopped', reason);
  }

  private set(state: ConnectionState, reason: string) {
    if (this.current === state && state !== 'reconnecting') return;
    this.current = state;
    this.hooks.state(state, reason);
    if (state === 'live' && this.conn) for (const w of this.liveWaiters.splice(0)) w(this.conn);
  }

  private async run(gen: number): Promise<void> {
    let refresh = false;
    let authRetried = false;
    let why = 'connect()';
    while (gen === this.gen) {
      let liveSince = 0;
      let err: unknown;
      try {
        this.set('connecting', why);
        const token = await this.hooks.token(refresh);
        const Ctor = await this.opts.WebSocket();
        if (gen !== this.gen) return;
        let onClosed!: (e: SocketClosedError) => void;
        const closed = new Promise<SocketClosedError>((r) => (onClosed = r));
        const conn = (this.conn = new WsConnection({
          url: this.opts.url,
          WebSocket: Ctor,
          onOpen: () => gen === this.gen && this.set('authenticating', 'socket open'),
          onClose: onClosed,
          onPush: (f) => {
            if (gen !== this.gen) return;
            if (f.body.case !== 'reconnect') return this.hooks.push(f);
            this.drainAfterMs = f.body.value.afterMs;
            conn.close(LocalClose.NORMAL, 'server draining');
          },
        }));
        const ok = await conn.authenticate(token, this.opts.connectTimeoutMs ?? 15_000);
        if (gen !== this.gen) return conn.close();
        this.renewLater(conn, gen, ok, token);
        refresh = false;
        this.set('syncing', 'authenticated');
        await Promise.race([
          this.hooks.synced(conn),
          closed.then((e) => {
            throw e;
          }),
        ]);
        if (gen !== this.gen) return;
        authRetried = false;
        liveSince = Date.now();
        this.set('live', 'caught up');
        err = await closed;
      } catch (e) {
        err = e;
      }
      clearTimeout(this.renewTimer);
      if (gen !== this.gen) return;
      this.conn?.close(LocalClose.NORMAL, 'reconnecting');
      this.conn = undefined;

      // Decide: stop for good, retry at once with a new token, or wait.
      const closedBy = err instanceof SocketClosedError ? err : undefined;
      const e = closedBy ?? toMyChatError(err);
      if (closedBy?.code === CloseCode.KICKED) return this.end(gen, closedBy.ended || 'kicked');
      // 4430: newer sockets of this session or account took our place. Reconnecting would
      // close the oldest of them, which would reconnect in turn: a fight nobody wins.
      if (closedBy?.code === CloseCode.TOO_MANY_SOCKETS) return this.end(gen, 'too_many_sockets');
      if (
        closedBy?.code === CloseCode.UNAUTHENTICATED ||
        SESSION_OVER.has(e.reason) ||
        e.reason === 'TOKEN_EXPIRED'
      ) {
        if (authRetried || (closedBy?.ended && closedBy.ended !== 'expired'))
          return this.end(gen, closedBy?.ended || e.reason.toLowerCase());
        authRetried = refresh = true;
        why = 'token refused: refreshing';
        continue;
      }
      if (liveSince && Date.now() - liveSince >= (this.opts.stableAfterMs ?? 10_000)) this.backoff.reset();
      let delay: number;
      if (this.drainAfterMs !== undefined) {
        delay = atLeast(this.drainAfterMs);
        why = 'server draining';
        this.drainAfterMs = undefined;
      } else if (!closedBy && e.reason === 'RATE_LIMITED' && e.retryAfterSeconds) {
        // The catch-up ran into the account's read budget (the socket stays open on the server
        // side): coming back before the bucket refills would only be refused again, round after
        // round. Wait what the server named; the backoff still grows for the next failure.
        delay = Math.max(atLeast(e.retryAfterSeconds * 1000), this.backoff.next());
        why = `${e.reason}: ${e.message}`;
      } else {
        delay = this.backoff.next();
        why = closedBy ? `closed ${closedBy.code}` : `${e.reason}: ${e.message}`;
      }
      this.set('reconnecting', `${why}; retrying in ${delay} ms`);
      this.wake = new AbortController();
      await sleep(delay, this.wake.signal).catch(() => undefined);
    }
  }

  /**
   * Sends a fresh token on the open socket a minute (at most half its life) before the one it
   * was opened with expires (AuthOk.expires_at_ms; both times are the server's, so clock skew
   * cancels). Without it the server ends the socket then (4401 "expired") and the loop
   * reconnects with a fresh token: the same outcome, at the cost of a reconnect and a sync.
   * A failed renewal is tried again a few seconds later until the socket ends.
   */
  private renewLater(
    conn: WsConnection,
    gen: number,
    ok: gateway.AuthOk,
    used: string,
    delayMs?: number,
  ): void {
    if (!ok.expiresAtMs) return; // a server whose sockets do not expire
    const life = ok.expiresAtMs - ok.serverTimeMs;
    const wait = delayMs ?? Math.max(1_000, life - Math.min(RENEW_BEFORE_EXPIRY_MS, life / 2));
    clearTimeout(this.renewTimer);
    const timer = (this.renewTimer = setTimeout(async () => {
      if (gen !== this.gen || conn.isClosed) return;
      try {
        let token = await this.hooks.token(false);
        if (token === used) token = await this.hooks.token(true);
        const f = await conn.request({ case: 'auth', value: { accessToken: token } }, 15_000);
        if (f.body.case === 'authOk') this.renewLater(conn, gen, f.body.value, token);
      } catch {
        this.renewLater(conn, gen, ok, used, RENEW_RETRY_MS);
      }
    }, wait));
    (timer as { unref?: () => void }).unref?.();
  }

  private end(gen: number, reason: string) {
    if (gen !== this.gen) return;
    this.stop(reason);
    this.hooks.kicked(reason);
  }

  /** Browsers: go straight back online instead of waiting out the backoff; drop the socket when offline. */
  private listenToNetwork() {
    const g = globalThis as {
      addEventListener?: typeof addEventListener;
      removeEventListener?: typeof removeEventListener;
    };
    if (
      this.removeNetworkListeners ||
      typeof g.addEventListener !== 'function' ||
      !('navigator' in globalThis)
    )
      return;
    if (typeof (globalThis as { window?: unknown }).window === 'undefined') return;
    const online = () => this.wake?.abort();
    const offline = () => this.conn?.close(LocalClose.DEAD, 'offline');
    g.addEventListener('online', online);
    g.addEventListener('offline', offline);
    this.removeNetworkListeners = () => {
      g.removeEventListener?.('online', online);
      g.removeEventListener?.('offline', offline);
      this.removeNetworkListeners = undefined;
    };
  }
}
