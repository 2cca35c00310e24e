import type { IncomingHttpHeaders } from 'node:http';
import { BlockList, isIP } from 'node:net';

/** What is read of a request (an HTTP/1 or HTTP/2 one). */
interface Request {
  headers: IncomingHttpHeaders;
  socket: { remoteAddress?: string };
}

/**
 * Which socket peers may speak for the client through X-Forwarded-* headers. Anyone can
 * write those headers, so they are read only when the request arrived from a proxy the
 * operator listed (config http.trustedProxies); everything else is the client itself.
 */
export class ProxyTrust {
  private readonly list = new BlockList();
  readonly empty: boolean;

  /** `entries`: addresses or CIDR blocks, IPv4 or IPv6 (validated by parseProxyEntry). */
  constructor(entries: readonly string[]) {
    for (const e of entries) {
      const p = parseProxyEntry(e);
      if (typeof p === 'string') throw new Error(p);
      if (p.prefix === undefined) this.list.addAddress(p.address, p.family);
      else this.list.addSubnet(p.address, p.prefix, p.family);
    }
    this.empty = entries.length === 0;
  }

  /** Whether `address` (as a socket reports it, IPv4-mapped IPv6 included) is a trusted proxy. */
  trusts(address: string | undefined): boolean {
    if (this.empty || !address) return false;
    const a = plainAddress(address);
    const family = isIP(a);
    if (!family) return false;
    return this.list.check(a, family === 6 ? 'ipv6' : 'ipv4');
  }

  /** Whether this request's own socket peer is a trusted proxy (its X-Forwarded-* may be read). */
  fromTrustedPeer(req: Request): boolean {
    return this.trusts(req.socket.remoteAddress);
  }

  /**
   * The client's address: the socket peer, unless that peer is a trusted proxy; then the
   * X-Forwarded-For chain is walked from its right end (the entry the nearest proxy
   * appended) past every trusted proxy, and the first untrusted entry is the client. Entries
   * further left were written by whoever sent the request and are never believed.
   */
  clientAddress(req: Request): string {
    const peer = plainAddress(req.socket.remoteAddress ?? '');
    if (!this.trusts(peer)) return peer;
    const chain = forwardedFor(req);
    let client = peer;
    for (let i = chain.length - 1; i >= 0; i--) {
      const hop = plainAddress(chain[i]!);
      // Garbage in the chain ends the walk: nothing left of it can be trusted either.
      if (!isIP(hop)) break;
      client = hop;
      if (!this.trusts(hop)) break;
    }
    return client;
  }

  /** The first X-Forwarded-<name> value when the peer is trusted, else undefined. */
  forwardedHeader(req: Request, name: 'host' | 'proto'): string | undefined {
    if (!this.fromTrustedPeer(req)) return undefined;
    const v = String(req.headers[`x-forwarded-${name}`] ?? '')
      .split(',')[0]
      ?.trim();
    return v || undefined;
  }
}

/** Every X-Forwarded-For entry, left to right, over all header lines. */
function forwardedFor(req: Request): string[] {
  const raw = req.headers['x-forwarded-for'];
  const lines = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return lines
    .flatMap((l) => l.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `::ffff:10.0.0.1` -> `10.0.0.1`; `[::1]:443` / `1.2.3.4:80` -> the address alone. */
function plainAddress(a: string): string {
  let s = a.trim();
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(s);
  if (bracket) s = bracket[1]!;
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(s)) s = s.slice(0, s.lastIndexOf(':'));
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(s);
  return mapped ? mapped[1]! : s;
}

/** An entry of http.trustedProxies, or the reason it is not one. */
export function parseProxyEntry(
  entry: string,
): { address: string; prefix?: number; family: 'ipv4' | 'ipv6' } | string {
  const [address = '', prefixText, extra] = entry.trim().split('/');
  const family = isIP(address);
  if (!family || extra !== undefined)
    return `"${entry}" is not an IP address or CIDR block (e.g. 10.0.0.0/8, fd00::/8, 127.0.0.1)`;
  const fam = family === 6 ? 'ipv6' : 'ipv4';
  if (prefixText === undefined) return { address, family: fam };
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
  if (prefix < 0 || prefix > (family === 6 ? 128 : 32))
    return `"${entry}" has a bad prefix length (0-${family === 6 ? 128 : 32})`;
  return { address, prefix, family: fam };
}
