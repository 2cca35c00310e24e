/**
 * Encrypt-and-wrap cost of one encrypted-chat message (docs/security.md, section 3), in this
 * process: a 200-byte text sealed once and its key wrapped for 2 devices on each side (and,
 * with backups, both backup keys). `node packages/bench/dist/e2ee-seal.js [messages]`.
 */
import { pathToFileURL } from 'node:url';
import { e2eeCrypto } from '@mychat/sdk/e2ee';
import { summarize, type LatencySummary } from './stats.js';

export async function measureSeal(opts: {
  messages: number;
  recipients: number;
  cached?: boolean;
}): Promise<LatencySummary> {
  return summarize(await e2eeCrypto.timeSeal(opts.messages, opts.recipients, opts.cached ?? true));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const messages = Number(process.argv[2] ?? 1000);
  // cached: the static agreements kept per device pair, as the SDK does; uncached: both per message.
  for (const cached of [false, true])
    for (const [label, recipients] of [
      ['2 devices on each side', 4],
      ['2 devices on each side + 2 backup keys', 6],
    ] as const) {
      const s = await measureSeal({ messages, recipients, cached });
      const how = cached ? 'static terms cached' : 'uncached';
      process.stdout.write(
        `${label}, ${how}: mean ${s.mean} ms, p50 ${s.p50} ms, p99 ${s.p99} ms (n=${s.n})\n`,
      );
    }
}
