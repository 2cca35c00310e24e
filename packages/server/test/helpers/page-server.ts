import { selfSignedCert } from '@mychat/server/dev/cluster';
import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * A web server over HTTPS on 127.0.0.2 (self-signed for page.test and rebind.test, made with
 * openssl) for the link-preview fetches: each path answers as its route says. 127.0.0.2 is a
 * loopback address the production guard refuses; tests let exactly it through (`testAllow`).
 */
export interface PageServer {
  host: string;
  port: number;
  /** The certificate, to trust it (and its file, for linkPreview.caFile). */
  ca: Buffer;
  certFile: string;
  /** Requests per path so far. */
  hits: Map<string, number>;
  routes: Map<string, (res: ServerResponse) => void>;
  /** `https://page.test:<port><path>` */
  url(path: string): string;
  stop(): Promise<void>;
}

export const html =
  (body: string | Buffer, type = 'text/html; charset=utf-8') =>
  (res: ServerResponse) =>
    res.writeHead(200, { 'content-type': type }).end(body);
export const redirect = (to: string) => (res: ServerResponse) => res.writeHead(302, { location: to }).end();

export async function startPageServer(): Promise<PageServer> {
  const host = '127.0.0.2';
  const {
    dir,
    keyFile: key,
    certFile: cert,
  } = selfSignedCert('mychat-pages-', 'page.test', `DNS:page.test,DNS:rebind.test,IP:${host}`);
  const ca = fs.readFileSync(cert);
  const routes = new Map<string, (res: ServerResponse) => void>();
  const hits = new Map<string, number>();
  const server = https.createServer({ key: fs.readFileSync(key), cert: ca }, (req, res) => {
    hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
    const route = routes.get(req.url ?? '');
    if (route) route(res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.address() as AddressInfo).port;
  return {
    host,
    port,
    ca,
    certFile: cert,
    hits,
    routes,
    url: (p) => `https://page.test:${port}${p}`,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
        fs.rmSync(dir, { recursive: true, force: true });
      }),
  };
}
