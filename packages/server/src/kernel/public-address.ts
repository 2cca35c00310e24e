import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { cfg } from './config.js';

/**
 * Which addresses the server may connect to on a user's say-so (SSRF protection): a URL a
 * user hands the server (a Web Push endpoint, a link to preview) may only reach public unicast
 * addresses, unless the operator listed them. Used by push and by the link previews.
 */

/** `10.0.0.0/8`, `fd00::/8` or a single address; a string says what is wrong with it. */
export function parseCidr(
  entry: string,
): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | string {
  const [address = '', prefixText, extra] = entry.trim().split('/');
  const family = isIP(address);
  if (!family || extra !== undefined)
    return `"${entry}" is not an IP address or CIDR block (e.g. 127.0.0.1/32)`;
  const max = family === 6 ? 128 : 32;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
  if (prefix < 0 || prefix > max) return `"${entry}" has a bad prefix length (0-${max})`;
  return { address, prefix, family: family === 6 ? 'ipv6' : 'ipv4' };
}

/** Every IPv4 block that is not a public unicast address (RFC 6890 and friends). */
const V4_NOT_PUBLIC = [
  '0.0.0.0/8', // this network
  '10.0.0.0/8', // private
  '100.64.0.0/10', // CGNAT
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local (cloud metadata)
  '172.16.0.0/12', // private
  '192.0.0.0/24', // IETF protocol assignments
  '192.0.2.0/24', // documentation
  '192.88.99.0/24', // 6to4 relay anycast
  '192.168.0.0/16', // private
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24', // documentation
  '203.0.113.0/24', // documentation
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, broadcast
];
/** Every IPv6 block that is not a public unicast address (IPv4-mapped ones are checked as IPv4). */
const V6_NOT_PUBLIC = [
  '::/96', // unspecified, loopback, IPv4-compatible
  '64:ff9b::/96', // NAT64: could reach any IPv4 address, private ones included
  '64:ff9b:1::/48', // local NAT64
  '100::/64', // discard
  '2001::/23', // IETF protocol assignments (Teredo, ORCHID, ...)
  '2001:db8::/32', // documentation
  '2002::/16', // 6to4: embeds any IPv4 address
  'fc00::/7', // unique local (ULA)
  'fe80::/10', // link-local
  'fec0::/10', // site-local (deprecated)
  'ff00::/8', // multicast
];

/** A BlockList of CIDR blocks (each as parseCidr reads it); throws on a bad entry. */
export function blockList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const e of entries) {
    const p = parseCidr(e);
    if (typeof p === 'string') throw new Error(p);
    list.addSubnet(p.address, p.prefix, p.family);
  }
  return list;
}

const NOT_PUBLIC_V4 = blockList(V4_NOT_PUBLIC);
const NOT_PUBLIC_V6 = blockList(V6_NOT_PUBLIC);

/** The eight 16-bit groups of an IPv6 address (an embedded dotted IPv4 tail included). */
function hextets(address: string): number[] | undefined {
  let a = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (dotted) {
    if (isIP(dotted[1]!) !== 4) return undefined;
    const [b0, b1, b2, b3] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    a = `${a.slice(0, -dotted[1]!.length)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const halves = a.split('::');
  if (halves.length > 2) return undefined;
  const part = (s: string) => (s ? s.split(':').map((h) => parseInt(h, 16)) : []);
  const head = part(halves[0]!);
  const tail = halves.length === 2 ? part(halves[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return undefined;
  const all = [...head, ...Array<number>(fill).fill(0), ...tail];
  return all.some((h) => Number.isNaN(h)) ? undefined : all;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, `::ffff:a00:1`), if it is one. */
export function mappedIpv4(address: string): string | undefined {
  if (isIP(address) !== 6) return undefined;
  const h = hextets(address);
  if (!h || h.slice(0, 5).some((x) => x !== 0) || h[5] !== 0xffff) return undefined;
  return `${h[6]! >> 8}.${h[6]! & 255}.${h[7]! >> 8}.${h[7]! & 255}`;
}

/** Whether `address` is a public unicast address (IPv4-mapped IPv6 judged by its IPv4 part). */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !NOT_PUBLIC_V4.check(address, 'ipv4');
  if (family !== 6) return false;
  const v4 = mappedIpv4(address);
  if (v4 !== undefined) return isPublicAddress(v4);
  // Anything outside 2000::/3 (global unicast) is reserved or special.
  const first = hextets(address)?.[0];
  if (first === undefined || first < 0x2000 || first > 0x3fff) return false;
  return !NOT_PUBLIC_V6.check(address, 'ipv6');
}

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

/** A host's addresses (an IP literal is its own answer), within `timeoutMs`; throws when it does not resolve. */
export async function resolveHost(
  host: string,
  resolve: Resolver,
  timeoutMs: number,
): Promise<{ address: string; family: 4 | 6 }[]> {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  const literal = isIP(bare);
  if (literal) return [{ address: bare, family: literal === 6 ? 6 : 4 }];
  let timer: NodeJS.Timeout | undefined;
  try {
    const answers = await Promise.race([
      resolve(bare),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('DNS timeout')), timeoutMs);
      }),
    ]);
    if (!answers.length) throw new Error('no address');
    return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  } finally {
    clearTimeout(timer);
  }
}

/** Whether `address` is in `list` (an IPv4-mapped IPv6 address judged by its IPv4 part). */
export function listedIn(list: BlockList, address: string): boolean {
  const v4 = isIP(address) === 6 ? mappedIpv4(address) : undefined;
  const a = v4 ?? address;
  return list.check(a, isIP(a) === 6 ? 'ipv6' : 'ipv4');
}

/** A config list of addresses and CIDR blocks, each checked when the config loads. */
export const cidrList = () =>
  cfg.list([]).superRefine((list, ctx) => {
    for (const e of list) {
      const p = parseCidr(e);
      if (typeof p === 'string') ctx.addIssue({ code: 'custom', message: p });
    }
  });
