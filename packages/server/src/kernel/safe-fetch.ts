import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { AppError, ErrorCode } from './errors.js';
import { isPublicAddress, resolveHost, systemResolver, type Resolver } from './public-address.js';

/** How a URL a user handed the server is fetched (a link to preview, its image). */
export interface SafeFetchOptions {
  /** Plain http besides https (port 80). */
  allowHttp: boolean;
  /** Bytes of the body read at most. */
  maxBytes: number;
  /** Over `maxBytes`: keep the first bytes (a page's head is enough), or refuse (an image). */
  truncate: boolean;
  /** For everything: DNS, connecting, redirects and the body. */
  timeoutMs: number;
  /** Redirects followed at most (each checked as the first URL). */
  maxRedirects: number;
  /** Whether a response's media type (lower case, no parameters) is wanted. */
  accept: (mediaType: string) => boolean;
  resolve?: Resolver;
  /**
   * Addresses allowed although they are not public, on any port: the operator's list
   * (linkPreview.allowedPrivateAddresses, empty by default), or a test's server on loopback.
   * Unset, every loopback, private and link-local address is refused.
   */
  allowAddress?: (address: string) => boolean;
  /** Extra trusted CA certificates (linkPreview.caFile, or a test's server). */
  ca?: string | Buffer;
}

export interface SafeFetchResult {
  /** The URL that answered (after redirects). */
  url: URL;
  mediaType: string;
  /** The `charset` parameter of the content type, lower case, or ''. */
  charset: string;
  body: Buffer;
  /** The body was cut at `maxBytes`. */
  truncated: boolean;
}

const refused = (reason: string) => new AppError(ErrorCode.LINK_PREVIEW_REFUSED, reason, { field: 'url' });
const unavailable = (reason: string) =>
  new AppError(ErrorCode.LINK_PREVIEW_UNAVAILABLE, reason, { field: 'url' });

/**
 * GET of a URL a user chose, with the SSRF guard: https (http only if allowed) on the default
 * port, no credentials, every DNS answer a public address, the connection made to the address
 * that was checked (a second DNS answer cannot rebind it), redirects checked the same way (at
 * most `maxRedirects`), a cap on the bytes read and one on the time of the whole fetch.
 * LINK_PREVIEW_REFUSED or LINK_PREVIEW_UNAVAILABLE otherwise.
 */
export async function safeGet(raw: string, o: SafeFetchOptions): Promise<SafeFetchResult> {
  const deadline = Date.now() + o.timeoutMs;
  const left = () => deadline - Date.now();
  let url = parseTarget(raw, o);
  for (let hop = 0; ; hop++) {
    const address = await checkedAddress(url, o, left());
    const res = await request(url, address, o, left());
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.destroy();
      if (hop >= o.maxRedirects) throw unavailable('too many redirects');
      url = parseTarget(new URL(res.headers.location, url).toString(), o);
      continue;
    }
    if (status !== 200) {
      res.destroy();
      throw unavailable(`the server answered ${status}`);
    }
    const [type = '', ...params] = (res.headers['content-type'] ?? '').split(';');
    const mediaType = type.trim().toLowerCase();
    if (!o.accept(mediaType)) {
      res.destroy();
      throw unavailable(`not a wanted content type (${mediaType || 'none'})`);
    }
    const charset =
      params
        .map((p) => p.trim().toLowerCase())
        .find((p) => p.startsWith('charset='))
        ?.slice('charset='.length)
        .replace(/"/g, '') ?? '';
    const { body, truncated } = await readCapped(res, o, left());
    return { url, mediaType, charset, body, truncated };
  }
}

function parseTarget(raw: string, o: SafeFetchOptions): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refused('not a URL');
  }
  if (url.protocol !== 'https:' && !(o.allowHttp && url.protocol === 'http:'))
    throw refused(o.allowHttp ? 'only http and https links' : 'only https links');
  if (url.username || url.password) throw refused('a link with credentials');
  if (!url.hostname) throw refused('a link without a host');
  return url;
}

/** The address to connect to: every DNS answer must be public (or allowed by a test). */
async function checkedAddress(url: URL, o: SafeFetchOptions, ms: number) {
  if (ms <= 0) throw unavailable('timed out');
  const answers = await resolveHost(url.hostname, o.resolve ?? systemResolver, ms).catch(() => {
    throw unavailable('the host does not resolve');
  });
  const allowed = (a: string) => isPublicAddress(a) || (o.allowAddress?.(a) ?? false);
  if (!answers.every((a) => allowed(a.address))) throw refused('the host is not a public address');
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  const defaultPort = url.protocol === 'https:' ? 443 : 80;
  if (port !== defaultPort && !answers.every((a) => o.allowAddress?.(a.address)))
    throw refused(`only port ${defaultPort}`);
  return answers[0]!;
}

function request(
  url: URL,
  address: { address: string; family: 4 | 6 },
  o: SafeFetchOptions,
  ms: number,
): Promise<IncomingMessage> {
  if (ms <= 0) return Promise.reject(unavailable('timed out'));
  // Connect to the checked address whatever a new DNS answer would say; TLS still checks the
  // certificate against the host name (SNI and Host as usual).
  const lookup = ((_host, opts, cb) => {
    if (opts.all) cb(null, [address]);
    else cb(null, address.address, address.family);
  }) as LookupFunction;
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, {
      method: 'GET',
      lookup,
      agent: false,
      timeout: ms,
      headers: { 'user-agent': 'MyChat-LinkPreview/1.0', accept: 'text/html,image/*;q=0.8' },
      ...(o.ca && { ca: o.ca }),
    });
    const timer = setTimeout(() => req.destroy(unavailable('timed out')), ms);
    req.on('response', (res) => {
      clearTimeout(timer);
      resolve(res);
    });
    req.on('timeout', () => req.destroy(unavailable('timed out')));
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err instanceof AppError ? err : unavailable('the page could not be fetched'));
    });
    req.end();
  });
}

function readCapped(
  res: IncomingMessage,
  o: SafeFetchOptions,
  ms: number,
): Promise<{ body: Buffer; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: AppError | undefined, truncated = false) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      res.destroy();
      if (err) reject(err);
      else resolve({ body: Buffer.concat(chunks).subarray(0, o.maxBytes), truncated });
    };
    const timer = setTimeout(() => finish(unavailable('timed out')), Math.max(0, ms));
    res.on('data', (c: Buffer) => {
      chunks.push(c);
      size += c.length;
      if (size > o.maxBytes) finish(o.truncate ? undefined : unavailable('too large'), true);
    });
    res.on('end', () => finish(undefined));
    res.on('error', () => finish(unavailable('the page could not be read')));
    res.on('aborted', () => finish(unavailable('the page could not be read')));
  });
}
