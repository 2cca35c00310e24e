import type http from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { BlobNotFoundError, type BlobStore, type SignedUrlVerifier } from '../../adapters/blob/blob.js';
import { sendJson } from './media-http.js';

/** A parsed `Range: bytes=...` header against an object of `size` bytes. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges, other units or junk: serve the whole object, as RFC 9110 allows.
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

const denied = (res: http.ServerResponse, reason: string, message: string) =>
  sendJson(res, 403, { reason, message });

/**
 * `GET /media/v1/blob/<key>?exp&ct&cd&sig`: serves what the disk blob store signed, while
 * the signature holds and the URL has not expired, with the signed Content-Type and
 * Content-Disposition, `nosniff`, a sandboxing CSP and single byte ranges (video seeking).
 */
export function downloadRoute(o: { blob: BlobStore; verifier: SignedUrlVerifier; logger: Logger }) {
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    let key: string;
    try {
      key = decodeURIComponent(url.pathname.slice(o.verifier.prefix.length));
    } catch {
      return denied(res, 'BAD_SIGNATURE', 'this link is not valid');
    }
    const v = o.verifier.verify(key, url.searchParams);
    if (!v.ok) {
      return v.reason === 'expired'
        ? denied(res, 'URL_EXPIRED', 'this link has expired; ask for a new one')
        : denied(res, 'BAD_SIGNATURE', 'this link is not valid');
    }
    try {
      const st = await o.blob.stat(key);
      if (!st) return sendJson(res, 404, { reason: 'NOT_FOUND', message: 'the file is gone' });
      const range = parseRange(req.headers.range, st.size);
      const headers: Record<string, string | number> = {
        'content-type': v.contentType,
        'content-disposition': v.disposition,
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; sandbox",
        'cross-origin-resource-policy': 'same-origin',
        'accept-ranges': 'bytes',
        'cache-control': 'private, max-age=300',
      };
      if (range === 'unsatisfiable') {
        res.writeHead(416, { ...headers, 'content-range': `bytes */${st.size}`, 'content-length': 0 }).end();
        return;
      }
      const status = range ? 206 : 200;
      if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${st.size}`;
      headers['content-length'] = range ? range.end - range.start + 1 : st.size;
      res.writeHead(status, headers);
      if (req.method === 'HEAD' || st.size === 0) {
        res.end();
        return;
      }
      await pipeline(await o.blob.get(key, range ?? { start: 0, end: st.size - 1 }), res);
    } catch (err) {
      if (err instanceof BlobNotFoundError && !res.headersSent)
        return sendJson(res, 404, { reason: 'NOT_FOUND', message: 'the file is gone' });
      if ((err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return; // client left
      o.logger.error({ err }, 'download failed');
      if (!res.headersSent) sendJson(res, 500, { reason: 'INTERNAL', message: 'internal error' });
      else res.destroy();
    }
  };
}
