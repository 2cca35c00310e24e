import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { connectionCap, descriptorLimit } from './connection-cap.js';
import { ProxyTrust } from './proxy-trust.js';

/** The request ids a client may choose (else the server makes one). */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;

export type HttpHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface HttpServerOptions {
  host: string;
  port: number;
  logger: Logger;
  metrics: Registry;
  /** Modules that are not running; empty when ready. */
  notRunning: () => string[];
  /** Modules whose health check fails. */
  unhealthy: () => Promise<string[]>;
  /** Reverse proxies whose X-Forwarded-* headers are believed (config http.trustedProxies). */
  trustedProxies?: readonly string[];
  /** Most open connections; more are closed as soon as they connect. 0 or absent: auto. */
  maxConnections?: number;
  /** How long a connection may take to send a request's headers, ms. */
  headersTimeoutMs?: number;
  /** Direct callers (no forwarding headers) allowed to read /metrics; empty: not served. */
  metricsAllowedFrom?: readonly string[];
  /**
   * What /metrics serves instead of this process's registry: a socket worker's asks its
   * primary for every process's metrics, aggregated.
   */
  metricsText?: () => Promise<string>;
  /**
   * False: `start` does not listen; the owner calls `listen` when it is ready (a socket
   * worker, once its gateway runs, so the shared port never hands it a connection early) or
   * never (the primary of socket workers, whose workers take the port).
   */
  listen?: boolean;
  /** A socket worker's number, sent on every answer as `x-mychat-worker`. */
  workerId?: number;
}

/** Headers a proxy adds; a request carrying one did not come straight from a scraper. */
const FORWARDING_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip', 'x-forwarded-host'];

/**
 * The HTTP server every process runs: /healthz (alive), /readyz (every module running and
 * healthy), /metrics (Prometheus), plus whatever the gateway mounts under a path prefix.
 */
export class HttpServer {
  readonly server: http.Server;
  /** The one place a client address is derived from (see ProxyTrust.clientAddress). */
  readonly proxies: ProxyTrust;
  private readonly metricsReaders: ProxyTrust;
  private readonly mounts: { prefix: string; handler: HttpHandler }[] = [];

  constructor(private readonly opts: HttpServerOptions) {
    this.proxies = new ProxyTrust(opts.trustedProxies ?? []);
    this.metricsReaders = new ProxyTrust(opts.metricsAllowedFrom ?? ['127.0.0.0/8', '::1']);
    const headersTimeout = opts.headersTimeoutMs ?? 10_000;
    this.server = http.createServer(
      // Node checks the header deadline on this interval; the default (30 s) would let a
      // silent connection live well past a short deadline.
      { connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeout / 4))) },
      (req, res) => this.route(req, res),
    );
    // Above the cap node closes new sockets at once, so idle connections cannot use up every
    // file descriptor; open ones (WebSockets included) are untouched.
    this.server.maxConnections = connectionCap(opts.maxConnections ?? 0, descriptorLimit());
    this.server.keepAliveTimeout = 65_000;
    // A connection that dribbles its headers is closed after this; bodies and upgraded
    // sockets are not bound by it.
    this.server.headersTimeout = headersTimeout;
    this.server.requestTimeout = 60_000;
    // Node's header deadline starts only with the first byte, so a connection that sends
    // nothing would hold its descriptor until keepAliveTimeout or longer. Its socket gets the
    // same deadline (node destroys a socket whose timeout nobody handles); the first request
    // clears it, and node drops its timeout handling on an upgrade (ws clears the timer).
    this.server.on('connection', (socket: Socket) => socket.setTimeout(headersTimeout));
  }

  /** Routes every request whose path starts with `prefix` to `handler` (longest prefix wins). */
  mount(prefix: string, handler: HttpHandler): void {
    this.mounts.push({ prefix, handler });
    this.mounts.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    const host = this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host;
    return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.opts.listen !== false) await this.listen();
  }

  /** Starts accepting connections (what `start` does unless told not to). */
  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.opts.logger.info({ max_connections: this.server.maxConnections, url: this.url }, 'http listening');
  }

  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server.closeAllConnections(), graceMs);
    await closed;
    clearTimeout(timer);
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.socket.timeout) req.socket.setTimeout(0);
    if (this.opts.workerId !== undefined) res.setHeader('x-mychat-worker', String(this.opts.workerId));
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/healthz') return void json(res, 200, { status: 'ok' });
    if (path === '/readyz') return void this.ready(res);
    if (path === '/metrics') return void this.metrics(req, res);
    const m = this.mounts.find((x) => path.startsWith(x.prefix));
    if (m) return this.guarded(m.handler, req, res);
    // While modules start (or stop), a route may not be mounted yet: /ws, the API. A client
    // should retry, not conclude the endpoint does not exist.
    const starting = this.opts.notRunning();
    if (starting.length) {
      res.setHeader('retry-after', '1');
      return void json(res, 503, {
        code: 'unavailable',
        message: 'server is starting',
        notRunning: starting,
      });
    }
    json(res, 404, { code: 'not_found', message: `no route for ${path}` });
  }

  /**
   * Runs a mounted handler so that whatever escapes it (a throw, a rejected promise) is a
   * logged 500 naming the request id, never a crashed process or a request left hanging.
   */
  private guarded(handler: HttpHandler, req: http.IncomingMessage, res: http.ServerResponse): void {
    const fail = (err: unknown) => {
      const given = String(req.headers['x-request-id'] ?? '');
      const requestId = SAFE_REQUEST_ID.test(given) ? given : randomUUID();
      this.opts.logger.error(
        { err, request_id: requestId, path: req.url?.split('?')[0] },
        'http route failed',
      );
      if (res.headersSent) return void res.destroy();
      res.setHeader('x-request-id', requestId);
      json(res, 500, { reason: 'INTERNAL', message: 'internal error', requestId });
    };
    try {
      const out = handler(req, res) as unknown;
      if (out instanceof Promise) out.catch(fail);
    } catch (err) {
      fail(err);
    }
  }

  private async ready(res: http.ServerResponse) {
    const notRunning = this.opts.notRunning();
    const unhealthy = notRunning.length ? [] : await this.opts.unhealthy();
    if (notRunning.length || unhealthy.length) {
      json(res, 503, { status: 'not ready', notRunning, unhealthy });
    } else {
      json(res, 200, { status: 'ready' });
    }
  }

  private async metrics(req: http.IncomingMessage, res: http.ServerResponse) {
    // Metrics name every route, module and count; the public only ever sees a 404.
    const direct = !FORWARDING_HEADERS.some((h) => req.headers[h] !== undefined);
    if (!direct || !this.metricsReaders.trusts(req.socket.remoteAddress)) {
      return void json(res, 404, { code: 'not_found', message: 'no route for /metrics' });
    }
    try {
      const body = await (this.opts.metricsText ?? (() => this.opts.metrics.metrics()))();
      res.writeHead(200, { 'content-type': this.opts.metrics.contentType });
      res.end(body);
    } catch (err) {
      this.opts.logger.error({ err }, 'metrics collection failed');
      json(res, 500, { code: 'internal' });
    }
  }
}

export function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
