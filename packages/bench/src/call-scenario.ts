/**
 * `npm run bench -- call`: voice and video calls (issue 27).
 *
 * 1. Signalling through the SDK: `--calls` calls between the seeded friend pairs (each pair one
 *    call at a time, the pairs side by side; caller and callee take turns), each the way a
 *    browser makes it: start, the callee's ring (`incoming`), accept, the joiner's offer and the
 *    answer, four ICE candidates each way, hang up until the callee sees it end. Reports each
 *    step's latency and the server's CPU per call (all of it: the call's state in kv, the events
 *    to every device, the record message in the chat and its delivery).
 * 2. Keep-alives: one call per pair held open while both devices send `--calls` keep-alives in
 *    all; the server's CPU per keep-alive (a device sends one every 5 s in a call).
 * 3. Set-up time in browsers (call-browser.ts): two Chromium pages with fake devices, the web app
 *    of this server, `--browser-calls` video calls answered at once: press to ring, and ring to
 *    the first remote frame on each side.
 *
 * Local target only (the all-in-one server on SQLite it starts).
 */
import { MyChatClient, type Call, type CallEvent, type CallSignal } from '@mychat/sdk';
import { WebSocket } from 'ws';
import { browserSetup, type BrowserResult } from './call-browser.js';
import { Meter, round, type RunResult } from './result.js';
import { summarize, type LatencySummary } from './stats.js';
import { openTarget, type Target } from './target.js';

export interface CallOptions {
  /** Seeded users (pairs of friends: users / 2 pairs). */
  users: number;
  /** Calls through the SDK, over all pairs. */
  calls: number;
  /** Video calls between two Chromium pages (0: none). */
  browserCalls: number;
}

/** The server lets every seeded user ring as often as the run needs (1 000 a minute at most). */
export const CALL_SERVER_ENV: Record<string, string> = {
  MYCHAT_CALLS_RINGS_PER_MINUTE: '1000',
  MYCHAT_CALLS_RINGS_PER_CONVERSATION_PER_MINUTE: '1000',
  MYCHAT_AUTH_LOGIN_PER_IP_PER_WINDOW: '1000000',
};

const STEPS = ['start', 'ring', 'accept', 'offer_answer', 'ice', 'hang_up', 'setup'] as const;
type Step = (typeof STEPS)[number];

export interface CallResult {
  scenario: 'call';
  users: number;
  pairs: number;
  calls: number;
  completed: number;
  failed: number;
  errors: string[];
  /** Per step, ms; `setup` is start until the last ICE candidate arrived (signalling only). */
  signalling_ms: Record<Step, LatencySummary>;
  /** All server CPU of the signalling phase over the completed calls. */
  server_cpu_ms_per_call: number;
  keep_alive: { sent: number; server_cpu_ms_each: number };
  server: RunResult['server'];
  generator_cpu_s: number;
  machine: RunResult['machine'];
  browser: BrowserResult | { skipped: string };
}

// A realistic size for what travels: a video offer or answer is a few kB of SDP, a candidate ~150 B.
const SDP = `v=0\r\n${'a=x-bench-line-of-a-session-description\r\n'.repeat(90)}`;
const candidate = (i: number) =>
  JSON.stringify({
    candidate: `candidate:${i} 1 udp 2122260223 127.0.0.1 ${50000 + i} typ host generation 0 ufrag ab12 network-id 1`,
    sdpMid: '0',
    sdpMLineIndex: 0,
  });
const ICE_EACH_WAY = 4;

/** The first emission of `event` on `target` that passes `pred`, or an error after `ms`. */
function first<A extends unknown[]>(
  on: (h: (...a: A) => void) => () => void,
  pred: (...a: A) => boolean,
  what: string,
  ms = 15_000,
): Promise<A> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error(`no ${what} within ${ms} ms`))), ms);
    const off = on((...a) => {
      if (!pred(...a)) return;
      clearTimeout(timer);
      off();
      resolve(a);
    });
  });
}

const signalOf = (c: MyChatClient, callId: string, kind: string) =>
  first<[CallSignal]>(
    (h) => c.calls.on('signal', h),
    (s) => s.callId === callId && s.kind === kind,
    `${kind} signal`,
  );
const eventOf = (c: MyChatClient, callId: string, kind: string) =>
  first<[CallEvent]>(
    (h) => c.calls.on('event', h),
    (e) => e.call.id === callId && e.kind === kind,
    `${kind} event`,
  );

/** Every ICE candidate of one direction arrived. */
function candidatesOf(c: MyChatClient, callId: string): Promise<void> {
  let n = 0;
  return first<[CallSignal]>(
    (h) => c.calls.on('signal', h),
    (s) => s.callId === callId && s.kind === 'ice' && ++n === ICE_EACH_WAY,
    'ICE candidates',
  ).then(() => undefined);
}

interface Person {
  client: MyChatClient;
  id: string;
}

/** One call as a browser makes it; the time of each step. */
async function oneCall(caller: Person, callee: Person, conv: string): Promise<Record<Step, number>> {
  const t0 = performance.now();
  const ring = first<[Call]>(
    (h) => callee.client.calls.on('incoming', h),
    () => true,
    'ring',
  );
  const { call } = await caller.client.calls.start(conv, 'video');
  const started = performance.now();
  await ring;
  const rung = performance.now();
  const accepted = eventOf(caller.client, call.id, 'accepted');
  const joined = await callee.client.calls.accept(call.id);
  await accepted;
  const answered = performance.now();
  // The device that joins offers to every device already in the call; that one answers.
  const callerSession = joined.participants.find((p) => p.userId === caller.id)!.sessionId;
  const calleeSession = callee.client.calls.sessionId()!;
  const offer = signalOf(caller.client, call.id, 'offer');
  await callee.client.calls.signal(call.id, caller.id, callerSession, 'offer', SDP);
  await offer;
  const answer = signalOf(callee.client, call.id, 'answer');
  await caller.client.calls.signal(call.id, callee.id, calleeSession, 'answer', SDP);
  await answer;
  const negotiated = performance.now();
  const toCaller = candidatesOf(caller.client, call.id);
  const toCallee = candidatesOf(callee.client, call.id);
  await Promise.all(
    Array.from({ length: ICE_EACH_WAY }, (_, i) => [
      callee.client.calls.signal(call.id, caller.id, callerSession, 'ice', candidate(i)),
      caller.client.calls.signal(call.id, callee.id, calleeSession, 'ice', candidate(i + 10)),
    ]).flat(),
  );
  await Promise.all([toCaller, toCallee]);
  const connected = performance.now();
  const ended = eventOf(callee.client, call.id, 'ended');
  await caller.client.calls.hangUp(call.id);
  await ended;
  return {
    start: started - t0,
    ring: rung - t0,
    accept: answered - rung,
    offer_answer: negotiated - answered,
    ice: connected - negotiated,
    hang_up: performance.now() - connected,
    setup: connected - t0,
  };
}

/** Signs every user of the pairs in through the SDK (argon2 once each, before anything is measured). */
async function signIn(t: Target, users: number): Promise<Person[]> {
  const people: Person[] = [];
  for (let i = 0; i < users; i += 4)
    people.push(
      ...(await Promise.all(
        t.seed.users.slice(i, Math.min(users, i + 4)).map(async (u, j) => {
          const client = new MyChatClient({
            baseUrl: t.url,
            device: { clientType: 'bot', deviceId: `call${i + j}`, name: 'bench' },
            WebSocket: WebSocket as never,
            autoMarkDelivered: false,
          });
          await client.auth.login({ to: { email: u.email }, password: t.seed.password });
          await client.connect();
          return { client, id: u.id };
        }),
      )),
    );
  return people;
}

async function signalling(o: CallOptions, t: Target, people: Person[]) {
  const pairs = t.seed.pairs.filter((p) => p.b < o.users);
  const times = Object.fromEntries(STEPS.map((s) => [s, [] as number[]])) as Record<Step, number[]>;
  const reasons = new Set<string>();
  let failed = 0;
  const meter = new Meter(t);
  await Promise.all(
    pairs.map(async (p, j) => {
      for (let k = j; k < o.calls; k += pairs.length) {
        // Caller and callee take turns.
        const [a, b] = Math.floor(k / pairs.length) % 2 ? [p.b, p.a] : [p.a, p.b];
        try {
          const r = await oneCall(people[a]!, people[b]!, p.conversationId);
          for (const s of STEPS) times[s].push(r[s]);
        } catch (e) {
          failed++;
          reasons.add((e as Error).message.slice(0, 120));
        }
      }
    }),
  );
  const m = meter.finish();
  const completed = times.setup.length;
  return {
    completed,
    failed,
    errors: [...reasons].slice(0, 5),
    signalling_ms: Object.fromEntries(STEPS.map((s) => [s, summarize(times[s])])) as Record<
      Step,
      LatencySummary
    >,
    server_cpu_ms_per_call: completed ? round((m.server.cpu_s * 1000) / completed) : 0,
    m,
  };
}

/** One call per pair held open; both devices send keep-alives until `total` are sent. */
async function keepAlives(o: CallOptions, t: Target, people: Person[]) {
  const pairs = t.seed.pairs.filter((p) => p.b < o.users);
  const open = await Promise.all(
    pairs.map(async (p) => {
      const [a, b] = [people[p.a]!, people[p.b]!];
      const ring = first<[Call]>(
        (h) => b.client.calls.on('incoming', h),
        () => true,
        'ring',
      );
      const { call } = await a.client.calls.start(p.conversationId, 'voice');
      await ring;
      await b.client.calls.accept(call.id);
      return { a, b, id: call.id };
    }),
  );
  const per = Math.max(1, Math.ceil(o.calls / (2 * open.length)));
  const meter = new Meter(t);
  await Promise.all(
    open.flatMap(({ a, b, id }) =>
      [a, b].map(async (x) => {
        for (let i = 0; i < per; i++) await x.client.calls.keepAlive(id);
      }),
    ),
  );
  const m = meter.finish();
  for (const c of open) await c.a.client.calls.hangUp(c.id).catch(() => undefined);
  const sent = per * 2 * open.length;
  return { sent, server_cpu_ms_each: round((m.server.cpu_s * 1000) / sent, 3) };
}

export async function runCall(o: CallOptions): Promise<CallResult> {
  const target = await openTarget({
    mode: 'local',
    users: o.users,
    groupSize: 0,
    pairs: true,
    env: CALL_SERVER_ENV,
  });
  let people: Person[] = [];
  try {
    people = await signIn(target, o.users);
    const s = await signalling(o, target, people);
    const keepAlive = await keepAlives(o, target, people);
    await Promise.all(people.map((p) => p.client.close()));
    people = [];
    const browser =
      o.browserCalls > 0 ? await browserSetup(target, o.browserCalls) : { skipped: '--browser-calls 0' };
    return {
      scenario: 'call',
      users: o.users,
      pairs: Math.floor(o.users / 2),
      calls: o.calls,
      completed: s.completed,
      failed: s.failed,
      errors: s.errors,
      signalling_ms: s.signalling_ms,
      server_cpu_ms_per_call: s.server_cpu_ms_per_call,
      keep_alive: keepAlive,
      server: s.m.server,
      generator_cpu_s: s.m.generator_cpu_s,
      machine: s.m.machine,
      browser,
    };
  } finally {
    await Promise.all(people.map((p) => p.client.close().catch(() => undefined)));
    await target.stop();
  }
}
