/**
 * The load scenarios of `npm run bench`: connect, chat, group, offline, idle, saturate, moments, push, room. Each
 * opens a seeded target, drives it with lean clients and returns one {@link RunResult}.
 */
import { closeAll, connectMany, type LeanClient } from './lean-client.js';
import { makeSinkCert, sinkServerEnv, type SinkCert } from './push-sink.js';
import { pushFlow } from './push-scenario.js';
import { leanOptions } from './lean-options.js';
import { payloadText, Recorder } from './recorder.js';
import { Meter, round, type RunResult } from './result.js';
import { catchUp, storedFor } from './catch-up.js';
import { summarize } from './stats.js';
import { closeCodes, startIdleWorker } from './idle-worker.js';
import { openTarget, sumStats, type Target } from './target.js';
import { atRate } from './rate.js';
import { runMoments } from './moments-scenario.js';
import type { RunOptions } from './run-options.js';
import { createClusterDatabase } from '@mychat/server/dev/cluster';

export { SCENARIOS, type RunOptions, type Scenario } from './run-options.js';

const tag = Date.now().toString(36);

export function base(
  o: RunOptions,
  extra: Partial<RunResult>,
): Omit<RunResult, 'server' | 'generator_cpu_s' | 'machine'> {
  return {
    scenario: o.scenario,
    mode: o.mode,
    users: o.users,
    rate: o.rate,
    duration_s: o.durationS,
    payload_bytes: o.payload,
    sent: 0,
    achieved_rate: 0,
    delivered: 0,
    delivered_per_s: 0,
    latency_ms: { n: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 },
    lost: 0,
    duplicated: 0,
    extra: {},
    ...extra,
  };
}

export async function runScenario(o: RunOptions): Promise<RunResult> {
  const seedUsers = o.scenario === 'offline' ? o.users * 2 : o.users;
  const cert: SinkCert | undefined = o.scenario === 'push' ? makeSinkCert() : undefined;
  // --sql postgres: the started all-in-one server on a database of its own, dropped at the end.
  const database = o.sql === 'postgres' ? await createClusterDatabase('postgres') : undefined;
  let target: Target;
  try {
    target = await openTarget({
      mode: o.mode,
      users: seedUsers,
      groupSize: o.scenario === 'group' || o.scenario === 'room' || cert ? o.users : 0,
      env: {
        ...(cert && sinkServerEnv(cert)),
        ...(o.serverWorkers && { MYCHAT_SERVER_WORKERS: String(o.serverWorkers) }),
        ...(database && { MYCHAT_SQL_URL: database.url }),
      },
      pairs: ['chat', 'offline', 'saturate', 'moments'].includes(o.scenario),
      friends: o.scenario === 'moments' ? o.friends : 0,
      ...(o.url && { url: o.url }),
      ...(o.seedFile && { seedFile: o.seedFile }),
      ...(o.serverPids && { serverPids: o.serverPids }),
      gateways: o.gateways,
    });
  } catch (e) {
    await database?.drop();
    throw e;
  }
  try {
    if (target.seed.users.length < seedUsers)
      throw new Error(`the seed has ${target.seed.users.length} users; this run needs ${seedUsers}`);
    switch (o.scenario) {
      case 'connect':
        return await connectStorm(o, target);
      case 'idle':
        return await idle(o, target);
      case 'offline':
        return await offline(o, target);
      case 'group':
        return await flow(o, target, o.rate, 'group');
      case 'chat':
        return await flow(o, target, o.rate, 'chat');
      case 'saturate':
        return await saturate(o, target);
      case 'moments':
        return await runMoments(o, target, { flow, base, leanOptions, closeAll });
      case 'push':
        return await pushFlow(o, target, cert!);
      case 'room': {
        const { runRoom } = await import('./room-scenario.js');
        return await runRoom(o, target, base);
      }
    }
    throw new Error(`no scenario ${String(o.scenario)}`);
  } finally {
    await target.stop();
    await database?.drop();
  }
}

async function connectStorm(o: RunOptions, t: Target): Promise<RunResult> {
  const meter = new Meter(t);
  const times: number[] = [];
  const started = performance.now();
  const { clients, failed, errors } = await connectMany(
    Array.from({ length: o.users }, (_, i) => leanOptions(t, i)),
    o.concurrency,
    (_i, ms) => times.push(ms),
  );
  const allS = (performance.now() - started) / 1000;
  const m = meter.finish();
  await closeAll(clients);
  const lat = summarize(times);
  return {
    ...base(o, {
      rate: 0,
      achieved_rate: round(times.length / allS),
      latency_ms: lat,
      lost: failed,
      extra: {
        connected: times.length,
        failed,
        all_connected_s: round(allS),
        concurrency: o.concurrency,
        errors,
      },
    }),
    ...m,
  };
}

async function idle(o: RunOptions, t: Target): Promise<RunResult> {
  const gw0 = sumStats(t.gatewayPids());
  const meter = new Meter(t);
  const started = performance.now();
  const all = Array.from({ length: o.users }, (_, i) => leanOptions(t, i));
  let failed = 0;
  let errors: string[] = [];
  let open = 0;
  let gw1 = gw0;
  let connectS = 0;
  let m: ReturnType<Meter['finish']>;
  const codes: Record<string, number> = {};
  if (o.workers > 1) {
    // Split over generator processes: one process holds at most `ulimit -n` sockets.
    const per = Math.ceil(o.users / o.workers);
    const workers = Array.from({ length: o.workers }, (_, w) =>
      startIdleWorker({ options: all.slice(w * per, (w + 1) * per), concurrency: o.concurrency }),
    );
    const reports = await Promise.all(workers.map((w) => w.ready));
    connectS = (performance.now() - started) / 1000;
    failed = reports.reduce((a, r) => a + r.failed, 0);
    errors = [...new Set(reports.flatMap((r) => r.errors))].slice(0, 5);
    await new Promise((r) => setTimeout(r, o.durationS * 1000));
    gw1 = sumStats(t.gatewayPids());
    m = meter.finish();
    const ends = await Promise.all(workers.map((w) => w.stop()));
    open = ends.reduce((a, b) => a + b.stillOpen, 0);
    // The generator's CPU includes its worker processes.
    m.generator_cpu_s = round(m.generator_cpu_s + ends.reduce((a, b) => a + b.cpuSeconds, 0));
    for (const e of ends) for (const [k, n] of Object.entries(e.closeCodes)) codes[k] = (codes[k] ?? 0) + n;
  } else {
    const r = await connectMany(all, o.concurrency);
    failed = r.failed;
    errors = r.errors;
    connectS = (performance.now() - started) / 1000;
    await new Promise((res) => setTimeout(res, o.durationS * 1000));
    open = r.clients.filter((c) => c?.isOpen).length;
    Object.assign(codes, closeCodes(r.clients));
    gw1 = sumStats(t.gatewayPids());
    m = meter.finish();
    await closeAll(r.clients);
  }
  const connected = o.users - failed;
  return {
    ...base(o, {
      rate: 0,
      lost: failed + (connected - open),
      extra: {
        connected,
        failed,
        still_open: open,
        connect_s: round(connectS),
        gateway_rss_before_mib: gw0.rssMiB,
        gateway_rss_after_mib: gw1.rssMiB,
        kib_per_connection: open ? round(((gw1.rssMiB - gw0.rssMiB) * 1024) / open, 1) : 0,
        close_codes: codes,
        gateways: t.gatewayPids().length,
        generator_processes: Math.max(1, o.workers),
        errors,
      },
    }),
    ...m,
  };
}

/** chat: 1:1 between the seeded pairs; group: one group of `users` members, senders in turn. */
let flows = 0;
export async function flow(
  o: RunOptions,
  t: Target,
  rate: number,
  kind: 'chat' | 'group',
): Promise<RunResult> {
  // Client message ids unique per run of a flow: saturate's later steps must not be taken for
  // retries of the earlier ones (the server would answer them with the stored originals).
  const run = `${tag}.${++flows}`;
  const rec = new Recorder();
  const ids = t.seed.users.slice(0, o.users).map((u) => u.id);
  const { clients, failed, errors } = await connectMany(
    ids.map((_, i) =>
      leanOptions(t, i, (m) => {
        if (m.senderId !== ids[i]) rec.receive(String(i), m.conversationId, m.seq, m.text);
      }),
    ),
    o.concurrency,
  );
  const pairs = t.seed.pairs.filter((p) => p.b < o.users);
  const group = t.seed.group;
  if (kind === 'group' && !group) throw new Error('the seed has no group (seed with --group-size)');
  const pick = (k: number) => {
    if (kind === 'chat') {
      const p = pairs[k % pairs.length]!;
      const from = Math.floor(k / pairs.length) % 2 ? p.b : p.a;
      return { from, conv: p.conversationId, receivers: 1, to: () => [String(from === p.a ? p.b : p.a)] };
    }
    const from = k % o.users;
    const to = () => ids.flatMap((_, i) => (i === from ? [] : [String(i)]));
    return { from, conv: group!.id, receivers: o.users - 1, to };
  };
  if (o.warmupS > 0) {
    // Not counted: a text that does not start with an index is ignored by the recorder.
    await atRate(rate, o.warmupS, Number.MAX_SAFE_INTEGER, async (k) => {
      const { from, conv } = pick(k);
      await clients[from]?.sendText(conv, `w${run}-${k}`, `warm-up ${k}`).catch(() => undefined);
    });
  }
  const meter = new Meter(t);
  rec.markStart();
  const sending = await atRate(rate, o.durationS, Number.MAX_SAFE_INTEGER, async (k) => {
    const { from, conv, receivers, to } = pick(k);
    const c = clients[from];
    if (!c) return;
    const idx = rec.send(receivers);
    try {
      const seq = await c.sendText(conv, `b${run}-${k}`, payloadText(idx, o.payload));
      // Without a seq (an older server) it cannot be looked up afterwards: owed ones count as lost.
      rec.ack(idx, seq ? { conversationId: conv, seq, receivers: to } : undefined);
    } catch (e) {
      rec.sendFailed(e);
    }
  });
  await rec.settle(10_000);
  const m = meter.finish();
  // What was not pushed in time: read by its receiver (GetHistory on their socket), it is late
  // when stored, lost when not.
  await rec.reconcile(async (d) => storedFor(clients[Number(d.device)], d));
  await closeAll(clients);
  return {
    ...base(o, {
      rate,
      sent: rec.sent,
      achieved_rate: round(sending.sent / sending.seconds),
      delivered: rec.delivered,
      delivered_per_s: round(rec.delivered / m.elapsed_s),
      latency_ms: rec.latency(),
      lost: rec.lost,
      duplicated: rec.duplicated,
      extra: {
        acked: rec.acked,
        not_pushed_in_time_but_stored: rec.late,
        send_errors: rec.sendErrors,
        send_error_reasons: rec.errorReasons,
        server_cpu_ms_per_message: rec.acked ? round((m.server.cpu_s * 1000) / rec.acked) : 0,
        connect_failed: failed,
        errors,
        ...(kind === 'group' && { group_members: o.users }),
      },
    }),
    ...m,
    series: { samples: rec.samples, sentPerSecond: rec.sentPerSecond },
  };
}

/** Raises the chat rate by `stepPercent` each step until p99 passes the limit or anything is lost. */
async function saturate(o: RunOptions, t: Target): Promise<RunResult> {
  const steps: Record<string, number>[] = [];
  let best: RunResult | undefined;
  let last: RunResult | undefined;
  const factor = 1 + o.stepPercent / 100;
  for (let rate = o.rate, i = 0; i < o.maxSteps; rate = Math.max(rate + 1, Math.round(rate * factor)), i++) {
    const r = await flow({ ...o, scenario: 'saturate' }, t, rate, 'chat');
    last = r;
    const good = r.latency_ms.p99 <= o.p99LimitMs && r.lost === 0 && r.achieved_rate >= rate * 0.95;
    steps.push({ rate, achieved: r.achieved_rate, p99: r.latency_ms.p99, lost: r.lost, good: good ? 1 : 0 });
    if (!good) break;
    best = r;
  }
  const chosen = best ?? last!;
  return {
    ...chosen,
    extra: { ...chosen.extra, best_rate: best?.rate ?? 0, p99_limit_ms: o.p99LimitMs, steps },
  };
}

/**
 * offline: `users` people stay away while their friends send each of them `messages`; then
 * they all come back at once (connect, then Sync and GetHistory pages on the socket) and the run
 * times the catch-up.
 */
async function offline(o: RunOptions, t: Target): Promise<RunResult> {
  const rec = new Recorder();
  const pairs = t.seed.pairs.slice(0, o.users);
  // Senders (b of each pair) are online; the a side is away.
  const online = await connectMany(
    pairs.map((p) => leanOptions(t, p.b)),
    o.concurrency,
  );
  const total = pairs.length * o.messages;
  const meter = new Meter(t);
  const sending = await atRate(o.rate, Number.MAX_SAFE_INTEGER, total, async (k) => {
    const i = k % pairs.length;
    const c = online.clients[i];
    if (!c) return;
    const idx = rec.send(1);
    try {
      await c.sendText(pairs[i]!.conversationId, `o${tag}-${k}`, payloadText(idx, o.payload));
      rec.ack(idx);
    } catch (e) {
      rec.sendFailed(e);
    }
  });
  const back = performance.now();
  const perUser: number[] = [];
  let pages = 0;
  let failed = 0;
  const returning: (LeanClient | undefined)[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(o.concurrency, pairs.length) }, async () => {
      while (next < pairs.length) {
        const i = next++;
        const a = pairs[i]!.a;
        const user = t.seed.users[a]!;
        const t0 = performance.now();
        try {
          const opts = leanOptions(t, a, (m) => {
            if (m.senderId !== user.id) rec.receive(String(a), m.conversationId, m.seq, m.text);
          });
          const { clients } = await connectMany([opts], 1);
          if (!clients[0]) throw new Error('connect failed');
          returning.push(clients[0]);
          const r = await catchUp(clients[0], new Map(), (conv, seq, text) =>
            rec.receive(String(a), conv, seq, text),
          );
          pages += r.pages;
          perUser.push(performance.now() - t0);
        } catch {
          failed++;
        }
      }
    }),
  );
  const allS = (performance.now() - back) / 1000;
  const m = meter.finish();
  await closeAll(online.clients);
  await closeAll(returning);
  return {
    ...base(o, {
      sent: rec.sent,
      achieved_rate: round(sending.sent / sending.seconds),
      delivered: rec.delivered,
      delivered_per_s: round(rec.delivered / allS),
      latency_ms: summarize(perUser),
      lost: rec.lost,
      duplicated: 0,
      extra: {
        messages_per_user: o.messages,
        all_caught_up_s: round(allS),
        sending_s: round(sending.seconds),
        send_errors: rec.sendErrors,
        send_error_reasons: rec.errorReasons,
        history_pages: pages,
        reconnect_failed: failed,
        push_and_history_overlap: rec.duplicated,
        latency_is: 'per-user catch-up time (connect + Sync + GetHistory), ms',
      },
    }),
    ...m,
  };
}
