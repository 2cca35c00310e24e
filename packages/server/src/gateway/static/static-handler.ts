import fs from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import type { HttpHandler } from '../../http/http-server.js';
import type { Logger } from '../../kernel/logger.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};
const COMPRESSIBLE = /^(text\/|application\/(json|manifest\+json)|image\/svg)/;
/** Files that must be revalidated on every load, so a new deploy is picked up at once. */
const NO_CACHE = new Set(['index.html', 'sw.js', 'registerSW.js', 'manifest.webmanifest']);

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>MyChat: web app not built</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;line-height:1.5">
<h1>The MyChat web app is not built</h1>
<p>The server is running, but it found no built web client to serve here.
Run <code>npm run build</code> at the repository root (it writes <code>packages/web/dist</code>), or point
<code>web.dir</code> (<code>MYCHAT_WEB_DIR</code>) at a built copy.</p>
<p>The API (<code>/mychat.*</code>), the WebSocket (<code>/ws</code>) and <code>/healthz</code> work without it.</p>
</body></html>`;

/** An origin as a CSP source: scheme, host and optional port, nothing that could end the header. */
const ORIGIN = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i;
/** A Host header worth echoing into the policy; anything else gets no explicit WebSocket source. */
const HOST = /^[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/i;

/**
 * The Content-Security-Policy of the app's pages: scripts and styles only from this server
 * (no inline script), API and WebSocket calls to it, images and media from it or as blob:
 * (previews) and data: (small images), no plugins, never framed. `ws(s)://host` is spelled
 * out because older browsers do not count WebSockets as 'self'.
 */
export function contentSecurityPolicy(
  host: string | undefined,
  mediaOrigins: readonly string[] = [],
): string {
  const media = mediaOrigins.map((o) => o.replace(/\/$/, '')).filter((o) => ORIGIN.test(o));
  const ws = host && HOST.test(host) ? [`ws://${host}`, `wss://${host}`] : [];
  return [
    "default-src 'self'",
    // WebAssembly only (no eval of script): the Argon2id of encrypted chats' key backup.
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    ["img-src 'self' blob: data:", ...media].join(' '),
    ["media-src 'self' blob:", ...media].join(' '),
    ["connect-src 'self'", ...ws, ...media].join(' '),
    "font-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

interface Cached {
  mtimeMs: number;
  size: number;
  body: Buffer;
  gzip?: Buffer;
  etag: string;
}

/**
 * Serves the built single-page app: real files by path (never outside `root`), index.html for
 * client routes (SPA fallback), long caching for hashed assets and none for the entry points,
 * gzip for text, ETags. A missing build answers a plain 404 page telling how to build it.
 */
export function createStaticHandler(opts: {
  root: string;
  logger: Logger;
  /** Extra origins for images, media and uploads (web.mediaOrigins). */
  mediaOrigins?: readonly string[];
}): HttpHandler {
  const root = path.resolve(opts.root);
  const cache = new Map<string, Cached>();
  let warned = false;

  async function load(file: string): Promise<Cached | undefined> {
    let st;
    try {
      st = await fs.stat(file);
    } catch {
      return undefined;
    }
    if (!st.isFile()) return undefined;
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit;
    const body = await fs.readFile(file);
    const entry: Cached = {
      mtimeMs: st.mtimeMs,
      size: st.size,
      body,
      etag: `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`,
    };
    if (cache.size > 2000) cache.clear();
    cache.set(file, entry);
    return entry;
  }

  function send(req: http.IncomingMessage, res: http.ServerResponse, file: string, f: Cached) {
    const rel = path.relative(root, file).split(path.sep).join('/');
    const type = TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    const headers: Record<string, string> = {
      'content-type': type,
      'x-content-type-options': 'nosniff',
      etag: f.etag,
      vary: 'accept-encoding',
      'cache-control': rel.startsWith('assets/')
        ? 'public, max-age=31536000, immutable'
        : NO_CACHE.has(rel)
          ? 'no-cache'
          : 'public, max-age=3600',
    };
    if (type.startsWith('text/html')) {
      headers['content-security-policy'] = contentSecurityPolicy(req.headers.host, opts.mediaOrigins);
      headers['x-frame-options'] = 'DENY';
    }
    headers['referrer-policy'] = 'no-referrer';
    if (rel === 'sw.js') headers['service-worker-allowed'] = '/';
    if (req.headers['if-none-match'] === f.etag) {
      res.writeHead(304, headers);
      return void res.end();
    }
    let body = f.body;
    if (
      COMPRESSIBLE.test(type) &&
      body.length > 1024 &&
      /\bgzip\b/.test(String(req.headers['accept-encoding']))
    ) {
      f.gzip ??= zlib.gzipSync(body, { level: 9 });
      body = f.gzip;
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = String(body.length);
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  function plain(res: http.ServerResponse, status: number, text: string, type = 'text/plain; charset=utf-8') {
    res.writeHead(status, {
      'content-type': type,
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      // Error pages run nothing; the "not built" page only needs its inline style.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    });
    res.end(text);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return plain(res, 405, 'method not allowed');
    }
    let urlPath: string;
    try {
      urlPath = decodeURIComponent((req.url ?? '/').split('?')[0]!.split('#')[0]!);
    } catch {
      return plain(res, 400, 'bad path');
    }
    if (urlPath.includes('\0')) return plain(res, 400, 'bad path');
    if (urlPath === '/ws') return plain(res, 426, 'the WebSocket endpoint needs an Upgrade request');
    // Resolve against the root and refuse anything that lands outside it (../, encoded or not).
    const file = path.resolve(root, '.' + path.posix.normalize('/' + urlPath));
    if (file !== root && !file.startsWith(root + path.sep)) return plain(res, 404, 'not found');

    const index = await load(path.join(root, 'index.html'));
    if (!index) {
      if (!warned) opts.logger.warn({ dir: root }, 'web app not built: / answers 404 until it is');
      warned = true;
      return plain(res, 404, NOT_BUILT, 'text/html; charset=utf-8');
    }
    const found = file === root ? undefined : await load(file);
    if (found) return send(req, res, file, found);
    // A path with a file extension is a missing file; anything else is a client route.
    if (path.posix.extname(urlPath)) return plain(res, 404, 'not found');
    send(req, res, path.join(root, 'index.html'), index);
  }

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      opts.logger.error({ err }, 'static file failed');
      if (!res.headersSent) plain(res, 500, 'internal error');
      else res.destroy();
    });
  };
}
