/**
 * Encrypt-and-wrap cost of one encrypted-chat message (docs/security.md, section 3), in this
 * process: a 200-byte text sealed once and its key wrapped for 2 devices on each side (and,
 * with backups, both backup keys). `node packages/bench/dist/e2ee-seal.js [messages]`.
 */
import { pathToFileURL } from 'node:url';
import { e2eeCrypto as c } from '@mychat/sdk/e2ee';
import { summarize, type LatencySummary } from './stats.js';

export async function measureSeal(opts: { messages: number; recipients: number }): Promise<LatencySummary> {
  const sender = { userId: '1', deviceId: 'a'.repeat(32), pair: await c.newPair('X25519') };
  const recipients: { userId: string; deviceId: string; key: CryptoKey }[] = [];
  for (let i = 0; i < opts.recipients; i++) {
    const p = await c.newPair('X25519');
    recipients.push({ userId: String(1 + (i % 2)), deviceId: i.toString(16).padStart(32, '0'), key: await c.importX25519(p.publicKey) });
  }
  const text = new TextEncoder().encode('x'.repeat(200));
  for (let i = 0; i < 50; i++) await c.seal(text, '42', sender, recipients); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < opts.messages; i++) {
    const t = performance.now();
    await c.seal(text, '42', sender, recipients);
    samples.push(performance.now() - t);
  }
  return summarize(samples);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const messages = Number(process.argv[2] ?? 1000);
  for (const [label, recipients] of [
    ['2 devices on each side', 4],
    ['2 devices on each side + 2 backup keys', 6],
  ] as const) {
    const s = await measureSeal({ messages, recipients });
    process.stdout.write(`${label}: mean ${s.mean} ms, p50 ${s.p50} ms, p99 ${s.p99} ms (n=${s.n})\n`);
  }
}
