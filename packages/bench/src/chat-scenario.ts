import { MyChatClient } from '@mychat/sdk';
import { WebSocket } from 'ws';
import { codeFromOutboxDir, procStats, startLocalServer, type LocalServer } from './local-server.js';
import { summarize, type LatencySummary } from './stats.js';

export interface ChatResult {
  scenario: 'chat';
  users: number;
  rate: number;
  duration_s: number;
  sent: number;
  acked: number;
  delivered: number;
  delivered_per_s: number;
  lost: number;
  duplicated: number;
  send_to_receive_ms: LatencySummary;
  send_to_ack_ms: LatencySummary;
  /** The local server's cost; absent when the target runs elsewhere (--url). */
  server?: { cpu_s: number; rss_mib: number };
  /** The running target driven (--url), when not a local server. */
  target?: string;
  generator_cpu_s: number;
}

const PASSWORD = 'bench-password-x1';

/**
 * 1:1 chat between friends through the SDK (one WebSocket per user) against an
 * all-in-one server on SQLite. Users are paired; each message carries its send time, so the
 * receiver measures send-to-receive latency. Lost = acked but never received; duplicated =
 * received more than once.
 */
export async function runChat(opts: {
  users: number;
  rate: number;
  durationS: number;
  /** A running target (its entry URL and mail outbox) instead of a local all-in-one server. */
  target?: { url: string; outboxDir: string };
}): Promise<ChatResult> {
  const local = opts.target ? undefined : await startLocalChatServer();
  const server = opts.target ?? { url: local!.url, outboxDir: `${local!.dataDir}/outbox` };
  return runAgainst(server, local, opts);
}

function startLocalChatServer(): Promise<LocalServer> {
  return startLocalServer({
    MYCHAT_AUTH_SEND_COOLDOWN_SECONDS: '0',
    MYCHAT_AUTH_SEND_PER_IP_PER_HOUR: '1000000',
    MYCHAT_AUTH_CODE_TRIES_PER_IP_PER_HOUR: '1000000',
    MYCHAT_AUTH_LOGIN_PER_IP_PER_WINDOW: '1000000',
    MYCHAT_AUTH_ARGON2_MEMORY_KIB: '1024',
    MYCHAT_AUTH_ARGON2_TIME_COST: '1',
    MYCHAT_MESSAGE_SEND_BURST: '100000',
    MYCHAT_MESSAGE_SEND_RATE_PER_SECOND: '100000',
  });
}

async function runAgainst(
  server: { url: string; outboxDir: string },
  local: LocalServer | undefined,
  opts: { users: number; rate: number; durationS: number },
): Promise<ChatResult> {
  const clients: MyChatClient[] = [];
  try {
    // Seed: sign everyone up, pair them as friends.
    const users: { client: MyChatClient; id: string }[] = [];
    for (let i = 0; i < opts.users; i++) {
      const email = `chat.${process.pid}.${i}@example.com`;
      const client = new MyChatClient({
        baseUrl: server.url,
        device: { clientType: 'bot', deviceId: `c${i}`, name: 'bench' },
        WebSocket: WebSocket as never,
        autoMarkDelivered: false,
      });
      clients.push(client);
      await client.auth.sendCode({ email }, 'register');
      const me = await client.auth.register({
        to: { email },
        code: await codeFromOutboxDir(server.outboxDir, email),
        password: PASSWORD,
        nickname: `u${i}`,
      });
      users.push({ client, id: me.id });
    }
    const pairs: { a: (typeof users)[0]; b: (typeof users)[0]; conv: string }[] = [];
    for (let i = 0; i + 1 < users.length; i += 2) {
      const [a, b] = [users[i]!, users[i + 1]!];
      const { request } = await a.client.contacts.request(b.id);
      const { conversationId } = await b.client.contacts.respond(request.id, 'accept');
      pairs.push({ a, b, conv: conversationId! });
    }
    const seen = new Map<string, number>();
    const latency: number[] = [];
    const ackLatency: number[] = [];
    for (const u of users) {
      u.client.on('message', (m, meta) => {
        if (meta.source === 'sent' || m.senderId === u.id || m.content.type !== 'text') return;
        const key = m.content.text;
        seen.set(key, (seen.get(key) ?? 0) + 1);
        const sentAt = Number(key.split(' ')[1]);
        if (seen.get(key) === 1) latency.push(performance.timeOrigin + performance.now() - sentAt);
      });
    }
    await Promise.all(users.map((u) => u.client.connect()));

    const before = local && procStats(local.pid);
    const genBefore = process.cpuUsage();
    const started = performance.now();
    const acked = new Set<string>();
    const inflight: Promise<void>[] = [];
    let sent = 0;
    const intervalMs = 1000 / opts.rate;
    let next = performance.now();
    while (performance.now() - started < opts.durationS * 1000) {
      const p = pairs[sent % pairs.length]!;
      const [from] = sent % 2 ? [p.b] : [p.a];
      const t0 = performance.now();
      const key = `${sent} ${performance.timeOrigin + t0}`;
      sent++;
      inflight.push(
        from.client.messages.sendText(p.conv, key).then(
          () => {
            acked.add(key);
            ackLatency.push(performance.now() - t0);
          },
          () => undefined,
        ),
      );
      next += intervalMs;
      const wait = next - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      else if (sent % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(inflight);
    const end = performance.now() + 5000;
    while ([...acked].some((k) => !seen.has(k)) && performance.now() < end)
      await new Promise((r) => setTimeout(r, 20));
    const elapsed = (performance.now() - started) / 1000;
    const after = local && procStats(local.pid);
    const gen = process.cpuUsage(genBefore);
    const delivered = [...seen.values()].reduce((a, b) => a + Math.min(b, 1), 0);
    return {
      scenario: 'chat',
      users: opts.users,
      rate: opts.rate,
      duration_s: opts.durationS,
      sent,
      acked: acked.size,
      delivered,
      delivered_per_s: Math.round(delivered / elapsed),
      lost: [...acked].filter((k) => !seen.has(k)).length,
      duplicated: [...seen.values()].filter((n) => n > 1).length,
      send_to_receive_ms: summarize(latency),
      send_to_ack_ms: summarize(ackLatency),
      ...(local && before && after
        ? {
            server: {
              cpu_s: Math.round((after.cpuSeconds - before.cpuSeconds) * 100) / 100,
              rss_mib: after.rssMiB,
            },
          }
        : { target: server.url }),
      generator_cpu_s: Math.round(((gen.user + gen.system) / 1e6) * 100) / 100,
    };
  } finally {
    for (const c of clients) await c.close();
    await local?.stop();
  }
}
