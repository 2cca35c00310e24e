import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

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
}

/**
 * The HTTP server every process runs: /healthz (alive), /readyz (every module running and
 * healthy), /metrics (Prometheus), plus whatever the gateway mounts under a path prefix.
 */
export class HttpServer {
  readonly server: http.Server;
  private readonly mounts: { prefix: string; handler: HttpHandler }[] = [];

  constructor(private readonly opts: HttpServerOptions) {
    this.server = http.createServer((req, res) => this.route(req, res));
    this.server.keepAliveTimeout = 65_000;
    this.server.headersTimeout = 66_000;
    this.server.requestTimeout = 60_000;
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
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.opts.logger.info({ url: this.url }, 'http listening');
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
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/healthz') return void json(res, 200, { status: 'ok' });
    if (path === '/readyz') return void this.ready(res);
    if (path === '/metrics') return void this.metrics(res);
    const m = this.mounts.find((x) => path.startsWith(x.prefix));
    if (m) return this.guarded(m.handler, req, res);
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

  private async metrics(res: http.ServerResponse) {
    try {
      const body = await this.opts.metrics.metrics();
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
