import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import type { Logger } from 'pino';
import { INTERNAL_SESSION_MEMORY_MB } from './http2-session.js';
import type { RpcHub } from './rpc-hub.js';

/**
 * The internal gRPC server (HTTP/2 without TLS, on a port that must never be public):
 * exposes every service registered in this process to services and gateways elsewhere.
 * Each call must carry the shared internal token (checked by the hub's interceptor).
 */
export class RpcServer {
  private server: http2.Http2Server | undefined;

  constructor(
    private readonly hub: RpcHub,
    private readonly opts: { host: string; port: number; logger: Logger },
  ) {}

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async start(): Promise<void> {
    // This server starts before the services that depend on it register, so the router
    // is (re)built on a request whenever the set of registered services has grown.
    let handler: ReturnType<typeof connectNodeAdapter> | undefined;
    let built = -1;
    const server = http2.createServer({ maxSessionMemory: INTERNAL_SESSION_MEMORY_MB }, (req, res) => {
      if (built !== this.hub.size) {
        built = this.hub.size;
        handler = connectNodeAdapter({
          routes: (r) => this.hub.routes(r),
          grpc: true,
          grpcWeb: false,
          connect: false,
        });
      }
      handler!(req, res);
    });
    server.on('sessionError', (err) => this.opts.logger.warn({ err }, 'internal rpc session error'));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.opts.logger.info({ host: this.opts.host, port: this.port }, 'internal rpc listening');
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s?.listening) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      setTimeout(resolve, 3_000).unref();
    });
  }
}
