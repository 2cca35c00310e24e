/** `npm run bench` arguments: parsed and checked, or a usage error (exit code 2). */
import { parseArgs } from 'node:util';
import { SCENARIOS, type RunOptions, type Scenario } from './scenarios.js';
import type { CallOptions } from './call-scenario.js';
import type { SearchOptions } from './search-scenario.js';
import type { SquareCodec, SquareOptions } from './square-scenario.js';

export const USAGE = `usage: npm run bench -- <scenario> [options]

scenarios (lean WebSocket clients; users seeded with mychat bench-seed):
  connect    connection storm: time until --users are connected, failures
  chat       1:1 messages between friend pairs at --rate messages/s in total
  group      one group of --users members, --rate messages/s (deliveries = rate x (users-1))
  offline    --users stay away while friends send each --messages, then all reconnect and catch up
  idle       --users idle connections held for --duration; memory per connection
  saturate   chat from --rate up by --step-percent per step until p99 > --p99-limit or anything is lost
  moments    --users with --friends each post --post-rate posts/s and read their feed every
             --read-every s (friends like and comment), chat at --rate beside it: fan-out lag,
             GetTimeline latency, every post in every friend's feed
  room       listen together: one room of --users listeners (SDK playback controllers on simulated
             players, clocks skewed +-5 s, 0-300 ms injected latency), a command every 3 s for
             --duration: fan-out and position error; then rooms of 10 at once (room-scenario.ts)
  push       one group of --users members, --subscribed of them offline with Web Push (to a
             push service on loopback): chat latency online, time until each message's pushes left
  auth | media | chat --client sdk   the older SDK scenarios (see docs/performance.md)
  search     --messages of mixed Chinese/English text, then --queries searches per query class,
             index lag while chatting at --rate for --duration, index size (search-scenario.ts)
  call       --calls voice/video calls through the SDK between --users/2 friend pairs (start,
             ring, accept, offer/answer, ICE, hang up): step latency, server CPU per call and per
             keep-alive; then --browser-calls video calls between two Chromium pages: ring to
             the first remote frame (call-scenario.ts)
  square     a board of --threads threads and --replies replies (seeded in bulk): --users readers
             (ListThreads, GetThread, a pause of 0..2x --think-ms between requests) for
             --duration s alone, then as long again while --writers post --post-rate posts/s

target (default: start an all-in-one server on SQLite):
  --server-workers N        the started all-in-one's socket workers (mychat serve --workers=N;
                            default: the server's own, one per core)
  --cluster [--gateways N]  start the loopback cluster (PostgreSQL + Redis, N gateways, default 2)
  --url <base url> --seed <file>   a running server seeded with mychat bench-seed
  --server-pids <p1,p2>     its processes, for CPU and RSS (else reported as 0)

options:
  --users N (200)  --rate R (200)  --duration S (10)  --payload BYTES (64)
  --concurrency C (200)  --messages M (200)  --p99-limit MS (100)  --steps N (12, saturate)
  --step-percent P (50)     saturate: each step raises the rate by P % (10: finer steps)
  --subscribed N (users*4/5)  push: members offline with a push subscription (local target)
  --workers N (1)           idle: generator processes (each holds at most ulimit -n sockets)
  --warmup S (0)            chat, group, saturate: send at the rate for S s first, not counted
  --friends N (200)  --post-rate R (20)  --read-every S (5)   moments
  --out <dir>               also write a Markdown report and SVG charts there
  --queries Q (100)         search: searches per query class
  --sql sqlite|postgres     the started all-in-one server's engine (sqlite; postgres: a fresh database)
  --seed-messages N (0)     search: also write N corpus messages straight into the message store
                            (bench-seed, before the server starts) and time the index build
  --analyze                 search, PostgreSQL: VACUUM ANALYZE the index's tables once it is built,
                            as autovacuum would (not timed in the build)
  --calls N (100)  --browser-calls M (10)   call (--users defaults to 20 there)
  --threads N (100000)  --replies N (1000000)  --writers N (20)  --think-ms MS (1000)   square
  --codec binary|json (binary)   square: the bodies, protobuf as the SDK and web app send, or JSON
`;

export type Parsed =
  | { kind: 'run'; options: RunOptions; out?: string }
  | { kind: 'legacy'; scenario: 'auth' | 'media' | 'chat-sdk'; values: Record<string, string | undefined> }
  | { kind: 'search'; options: SearchOptions }
  | { kind: 'call'; options: CallOptions }
  | { kind: 'square'; options: SquareOptions }
  | { kind: 'error'; message: string };

const int = (name: string, v: string | undefined, min: number, max: number): number => {
  const n = Number(v);
  if (!/^\d+$/.test(v ?? '') || n < min || n > max)
    throw new Error(`--${name} must be an integer from ${min} to ${max}`);
  return n;
};

export function parseCli(argv: string[]): Parsed {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        users: { type: 'string', default: '200' },
        rate: { type: 'string', default: '200' },
        duration: { type: 'string', default: '10' },
        payload: { type: 'string', default: '64' },
        concurrency: { type: 'string' },
        messages: { type: 'string', default: '200' },
        'p99-limit': { type: 'string', default: '100' },
        steps: { type: 'string', default: '12' },
        'step-percent': { type: 'string', default: '50' },
        workers: { type: 'string', default: '1' },
        subscribed: { type: 'string' },
        gateways: { type: 'string', default: '2' },
        warmup: { type: 'string', default: '0' },
        friends: { type: 'string', default: '200' },
        'post-rate': { type: 'string', default: '20' },
        'read-every': { type: 'string', default: '5' },
        cluster: { type: 'boolean', default: false },
        url: { type: 'string' },
        seed: { type: 'string' },
        'server-pids': { type: 'string' },
        'server-workers': { type: 'string' },
        out: { type: 'string' },
        client: { type: 'string', default: 'lean' },
        // The older scenarios' options.
        images: { type: 'string', default: '15' },
        voices: { type: 'string', default: '5' },
        outbox: { type: 'string' },
        queries: { type: 'string', default: '100' },
        sql: { type: 'string', default: 'sqlite' },
        'seed-messages': { type: 'string', default: '0' },
        analyze: { type: 'boolean', default: false },
        calls: { type: 'string', default: '100' },
        'browser-calls': { type: 'string', default: '10' },
        threads: { type: 'string', default: '100000' },
        replies: { type: 'string', default: '1000000' },
        writers: { type: 'string', default: '20' },
        'think-ms': { type: 'string', default: '1000' },
        codec: { type: 'string', default: 'binary' },
      },
    });
  } catch (e) {
    return { kind: 'error', message: (e as Error).message };
  }
  const { positionals, values } = parsed;
  const name = positionals[0];
  if (positionals.length !== 1 || !name) return { kind: 'error', message: 'name one scenario' };
  if (name === 'auth' || name === 'media') return { kind: 'legacy', scenario: name, values: strings(values) };
  if (name === 'search') return searchOptions(values);
  if (name === 'call') return callOptions(values);
  if (name === 'square') return squareOptions(values);
  if (name === 'chat' && values.client === 'sdk')
    return { kind: 'legacy', scenario: 'chat-sdk', values: strings(values) };
  if (values.client !== 'lean') return { kind: 'error', message: '--client must be lean or sdk (chat only)' };
  if (!(SCENARIOS as readonly string[]).includes(name))
    return { kind: 'error', message: `unknown scenario "${name}"` };
  try {
    if (values.cluster && values.url) throw new Error('--cluster and --url exclude each other');
    if (values.url && !values.seed) throw new Error('--url needs --seed <file written by mychat bench-seed>');
    if (values.seed && !values.url) throw new Error('--seed goes with --url');
    if (values.url && !/^https?:\/\/[^/]+/.test(values.url))
      throw new Error('--url must be an http(s) base URL');
    if (values['server-workers'] && (values.cluster || values.url))
      throw new Error('--server-workers is for the all-in-one server the bench starts');
    if (values.sql !== 'sqlite' && values.sql !== 'postgres')
      throw new Error('--sql must be sqlite or postgres');
    if (values.sql === 'postgres' && (values.cluster || values.url))
      throw new Error('--sql is for the all-in-one server the bench starts');
    const pids = values['server-pids']
      ? values['server-pids'].split(',').map((p) => int('server-pids', p.trim(), 1, 2 ** 22))
      : undefined;
    const options: RunOptions = {
      scenario: name as Scenario,
      mode: values.cluster ? 'cluster' : values.url ? 'url' : 'local',
      users: int('users', values.users, 2, 1_000_000),
      rate: int('rate', values.rate, 1, 10_000_000),
      durationS: int('duration', values.duration, 1, 86_400),
      payload: int('payload', values.payload, 0, 8000),
      concurrency: int('concurrency', values.concurrency ?? '200', 1, 100_000),
      messages: int('messages', values.messages, 1, 1_000_000),
      p99LimitMs: int('p99-limit', values['p99-limit'], 1, 600_000),
      maxSteps: int('steps', values.steps, 1, 100),
      stepPercent: int('step-percent', values['step-percent'], 1, 300),
      workers: int('workers', values.workers, 1, 64),
      subscribed: values.subscribed
        ? int('subscribed', values.subscribed, 0, 1_000_000)
        : Math.floor((Number(values.users) * 4) / 5),
      gateways: int('gateways', values.gateways, 1, 32),
      warmupS: int('warmup', values.warmup, 0, 3600),
      friends: int('friends', values.friends, 0, 100_000),
      postRate: int('post-rate', values['post-rate'], 1, 100_000),
      readEveryS: int('read-every', values['read-every'], 1, 3600),
      ...(values.url && { url: values.url }),
      ...(values.seed && { seedFile: values.seed }),
      ...(pids && { serverPids: pids }),
      ...(values.sql === 'postgres' && { sql: 'postgres' as const }),
      ...(values['server-workers'] && {
        serverWorkers: int('server-workers', values['server-workers'], 1, 256),
      }),
    };
    return { kind: 'run', options, ...(values.out && { out: values.out }) };
  } catch (e) {
    return { kind: 'error', message: (e as Error).message };
  }
}

function strings(v: Record<string, unknown>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeof x === 'string' ? x : undefined]));
}

function searchOptions(v: Record<string, string | boolean | undefined>): Parsed {
  try {
    if (v.sql !== 'sqlite' && v.sql !== 'postgres') throw new Error('--sql must be sqlite or postgres');
    if (v.cluster || v.url) throw new Error('search runs on the all-in-one server it starts');
    if (v.analyze && v.sql !== 'postgres') throw new Error('--analyze is for --sql postgres');
    const users = int('users', v.users as string, 2, 10_000);
    return {
      kind: 'search',
      options: {
        // 200 users is the other scenarios' default; a search corpus needs far fewer senders.
        users: v.users === '200' ? 20 : users,
        messages: int('messages', v.messages as string, 0, 100_000_000),
        seedMessages: int('seed-messages', v['seed-messages'] as string, 0, 100_000_000),
        queries: int('queries', v.queries as string, 1, 1_000_000),
        rate: int('rate', v.rate as string, 1, 1_000_000),
        durationS: int('duration', v.duration as string, 1, 86_400),
        concurrency: int('concurrency', (v.concurrency as string | undefined) ?? '200', 1, 100_000),
        sql: v.sql,
        analyze: !!v.analyze,
      },
    };
  } catch (e) {
    return { kind: 'error', message: (e as Error).message };
  }
}

function callOptions(v: Record<string, string | boolean | undefined>): Parsed {
  try {
    if (v.cluster || v.url) throw new Error('call runs on the all-in-one server it starts');
    // 200 users is the other scenarios' default; calls need a few pairs.
    const users = v.users === '200' ? 20 : int('users', v.users as string, 2, 10_000);
    if (users % 2) throw new Error('--users must be even (pairs of friends)');
    const calls = int('calls', v.calls as string, 1, 1_000_000);
    // Each pair rings at most 1 000 times a minute (the limit the bench sets on the server).
    if (calls > (users / 2) * 1000)
      throw new Error('--calls must be at most 1000 per pair (--users / 2 pairs)');
    return {
      kind: 'call',
      options: { users, calls, browserCalls: int('browser-calls', v['browser-calls'] as string, 0, 1000) },
    };
  } catch (e) {
    return { kind: 'error', message: (e as Error).message };
  }
}

function squareCodec(v: string): SquareCodec {
  if (v !== 'binary' && v !== 'json') throw new Error('--codec must be binary or json');
  return v;
}

function squareOptions(v: Record<string, string | boolean | undefined>): Parsed {
  try {
    if (v.cluster || v.url) throw new Error('square runs on the all-in-one server it starts');
    const threads = int('threads', v.threads as string, 1, 10_000_000);
    return {
      kind: 'square',
      options: {
        users: int('users', v.users as string, 1, 10_000),
        writers: int('writers', v.writers as string, 1, 10_000),
        threads,
        replies: int('replies', v.replies as string, 0, 100_000_000),
        durationS: int('duration', v.duration as string, 1, 86_400),
        thinkMs: int('think-ms', v['think-ms'] as string, 0, 600_000),
        postRate: int('post-rate', v['post-rate'] as string, 1, 100_000),
        codec: squareCodec(v.codec as string),
      },
    };
  } catch (e) {
    return { kind: 'error', message: (e as Error).message };
  }
}
