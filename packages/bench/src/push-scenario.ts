import { closeAll, connectMany } from './lean-client.js';
import { leanOptions } from './lean-options.js';
import { payloadText, Recorder } from './recorder.js';
import { Meter, round, type RunResult } from './result.js';
import type { RunOptions } from './run-options.js';
import { summarize } from './stats.js';
import { startPushSink, type SinkCert } from './push-sink.js';
import type { Target } from './target.js';

/**
 * push: one group of `users` members, of whom `subscribed` stay offline with a Web Push
 * subscription (to a push service on loopback, see push-sink.ts); the others are online.
 * Messages go to the group at `rate`; the run measures the chat latency of the online members
 * and, per message, how long until the last of its pushes reached the push service.
 */
export async function pushFlow(o: RunOptions, t: Target, cert: SinkCert): Promise<RunResult> {
  const sink = await startPushSink(cert);
  const group = t.seed.group;
  if (!group) throw new Error('the seed has no group');
  const offline = Math.min(o.subscribed, o.users - 2);
  const online = o.users - offline;
  const users = t.seed.users.slice(0, o.users);
  const rec = new Recorder();
  const { clients, failed, errors } = await connectMany(
    users.slice(0, online).map((u, i) =>
      leanOptions(t, i, (m) => {
        if (m.senderId !== u.id) rec.receive(String(i), m.conversationId, m.seq, m.text);
      }),
    ),
    o.concurrency,
  );
  let subscribeFailed = 0;
  const away = users.slice(online);
  for (let i = 0; i < away.length; i += 20)
    await Promise.all(
      away.slice(i, i + 20).map(async (u) => {
        const r = await fetch(`${t.url}/mychat.push.v1.PushService/SubscribePush`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${u.accessToken}` },
          body: JSON.stringify({ ...sink.subscription(), deviceName: 'bench' }),
        });
        if (!r.ok) subscribeFailed++;
      }),
    );
  // The sender listens on the new users' channels once the subscriptions are announced.
  await new Promise((r) => setTimeout(r, 1000));
  const meter = new Meter(t);
  rec.markStart();
  const sentAt: number[] = [];
  const t0 = performance.now();
  for (let k = 0; (performance.now() - t0) / 1000 < o.durationS; k++) {
    const due = t0 + (k * 1000) / o.rate;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    const idx = rec.send(online - 1);
    sentAt.push(performance.now());
    const c = clients[k % online];
    await c?.sendText(group.id, `p${Date.now().toString(36)}-${k}`, payloadText(idx, o.payload)).then(
      () => rec.ack(idx),
      (e: unknown) => rec.sendFailed(e),
    );
  }
  await rec.settle(10_000);
  await new Promise((r) => setTimeout(r, 3000));
  const m = meter.finish();
  // Each message's pushes: those that arrived before the next message was sent.
  const fanout: number[] = [];
  const perMessage: number[] = [];
  for (let k = 0; k < sentAt.length; k++) {
    const from = sentAt[k]!;
    const to = sentAt[k + 1] ?? Number.POSITIVE_INFINITY;
    const mine = sink.arrivals.filter((a) => a >= from && a < to);
    perMessage.push(mine.length);
    if (mine.length) fanout.push(mine[mine.length - 1]! - from);
  }
  await closeAll(clients);
  await sink.stop();
  const pushes = sink.arrivals.length;
  const spanS = pushes ? (sink.arrivals[pushes - 1]! - sink.arrivals[0]!) / 1000 || 1 : 1;
  return {
    scenario: 'push',
    mode: o.mode,
    users: o.users,
    rate: o.rate,
    duration_s: o.durationS,
    payload_bytes: o.payload,
    sent: rec.sent,
    achieved_rate: round(sentAt.length / o.durationS),
    delivered: rec.delivered,
    delivered_per_s: round(rec.delivered / m.elapsed_s),
    latency_ms: rec.latency(),
    lost: rec.lost,
    duplicated: rec.duplicated,
    extra: {
      online_members: online,
      subscribed_offline: offline,
      subscribe_failed: subscribeFailed,
      connect_failed: failed,
      errors,
      pushes,
      pushes_per_message: summarize(perMessage),
      push_fanout_ms: summarize(fanout),
      pushes_per_s: round(pushes / spanS),
      server_cpu_ms_per_push: pushes ? round((m.server.cpu_s * 1000) / pushes) : 0,
      latency_is: 'chat latency of the online members; push_fanout_ms: send to the last push of that message',
    },
    ...m,
  };
}
