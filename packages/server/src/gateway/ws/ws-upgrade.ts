import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** The endpoint's path. */
export const WS_PATH = '/ws';

export interface UpgradePolicy {
  /** Exact origins allowed besides the request's own host (config ws.allowedOrigins). */
  allowedOrigins: ReadonlySet<string>;
  /** X-Forwarded-Host, only when a trusted proxy sent the request: the Host the browser used. */
  forwardedHost?: string;
  /** Sockets connected but not yet authenticated, and how many may be. */
  pending: number;
  maxPending: number;
  /** Of those, the ones from this request's client address, and that address's share. */
  pendingFromIp: number;
  maxPendingPerIp: number;
  stopping: boolean;
}

/** Why an upgrade was refused; `reason` labels the metric. */
export interface UpgradeRefusal {
  status: number;
  reason: 'path' | 'origin' | 'busy' | 'source' | 'stopping';
  message: string;
}

/** Normalises an origin the way browsers send it: scheme://host[:port], lower case. */
export function normalizeOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}

/**
 * The checks made before any 101: right path, an allowed Origin, room for one more
 * unauthenticated socket in the pool and in this client address's share of it (so one
 * source holding sockets open without authenticating cannot keep others out), not draining. A request without Origin comes from a native app
 * or a bot (browsers always send it on WebSocket upgrades), so it passes: Origin guards
 * against cross-site WebSocket hijacking in browsers, not against non-browser clients,
 * which must authenticate anyway.
 */
export function checkUpgrade(req: IncomingMessage, p: UpgradePolicy): UpgradeRefusal | undefined {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== WS_PATH) return { status: 404, reason: 'path', message: `no WebSocket endpoint at ${path}` };
  if (p.stopping) return { status: 503, reason: 'stopping', message: 'server is restarting' };
  if (!originAllowed(req, p)) return { status: 403, reason: 'origin', message: 'origin not allowed' };
  if (p.pendingFromIp >= p.maxPendingPerIp) return poolRefusal('source');
  if (p.pending >= p.maxPending) return poolRefusal('busy');
  return undefined;
}

/** The refusal when the pool of unauthenticated sockets has no place: for this address, or at all. */
export function poolRefusal(reason: 'source' | 'busy'): UpgradeRefusal {
  return reason === 'source'
    ? { status: 429, reason, message: 'too many unauthenticated connections from this address' }
    : { status: 503, reason, message: 'too many connections' };
}

function originAllowed(req: IncomingMessage, p: UpgradePolicy): boolean {
  const raw = req.headers.origin;
  if (raw === undefined) return true;
  const origin = normalizeOrigin(raw);
  if (p.allowedOrigins.has(origin)) return true;
  let host: string;
  try {
    host = new URL(origin).host; // "null" (sandboxed pages, file:) throws and is refused
  } catch {
    return false;
  }
  const hosts = [req.headers.host, p.forwardedHost];
  return hosts.some((h) => !!h && h.toLowerCase() === host);
}

/** Answers an upgrade with a plain HTTP error on the raw socket (no 101) and closes it. */
export function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  socket.on('error', () => {}); // the peer may already be gone; nothing to report
  if (!socket.writable) return void socket.destroy();
  const extra = status === 503 || status === 429 ? 'Retry-After: 5\r\n' : '';
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      `${extra}Content-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
  );
}
