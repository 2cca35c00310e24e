import type { LeanOptions, Pushed } from './lean-client.js';
import type { Target } from './target.js';

/** Connections per source address before moving to the next 127.0.0.x (ephemeral ports run out near 28 000). */
const PER_SOURCE_ADDRESS = 20_000;

/** The connection options of seeded user `i` on target `t`. */
export function leanOptions(t: Target, i: number, onMessage?: (m: Pushed) => void): LeanOptions {
  const url = t.gatewayUrls[i % t.gatewayUrls.length]!;
  const loopback = /^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(url + '/');
  const source = Math.floor(i / PER_SOURCE_ADDRESS);
  return {
    url,
    accessToken: t.seed.users[i]!.accessToken,
    ...(loopback && source > 0 && { localAddress: `127.0.0.${1 + source}` }),
    ...(onMessage && { onMessage }),
  };
}
