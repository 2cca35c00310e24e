/**
 * `npm run bench -- square`: reading a big board while people post in it.
 *
 * 1. Seed: `mychat bench-seed --square-threads --square-replies` writes one public board
 *    (100 000 threads and 1 000 000 replies by default) straight through the square's store in
 *    bulk (see docs/operations.md, "Benchmark seeding"), then the all-in-one server starts on it.
 * 2. Readers alone for --duration s: --users readers, each in a loop of one request then a
 *    pause of 0..2x --think-ms (a person reading): ListThreads (a sort at random, the first page
 *    or up to 4 more by cursor) or GetThread (a thread at random from the seed's sample, skewed
 *    to the long ones as the seed is, first page, then the next pages by cursor half the time).
 * 3. The same readers for --duration s while --writers post --post-rate posts/s in all (a reply
 *    to a sampled thread, one in ten a new thread).
 *
 * Over HTTP (Connect), from this process, on the same machine as the server: the latencies
 * include the client's share of the two cores. The bodies are binary protobuf, as the SDK and
 * the web app send them, over `node:http` with kept-alive connections (a fraction of fetch's CPU
 * in this process); `--codec json` is the harness before that: Connect's JSON over fetch.
 */
import os from 'node:os';
import type { DescMethodUnary, MessageInitShape } from '@bufbuild/protobuf';
import { square } from '@mychat/protocol';
import { unaryHttp } from './connect-call.js';
import { readHistogram, sharesOver } from './histogram-scrape.js';
import { summarize, type LatencySummary } from './stats.js';
import { openTarget, sumStats, type Target } from './target.js';

export interface SquareOptions {
  users: number;
  writers: number;
  threads: number;
  replies: number;
  durationS: number;
  thinkMs: number;
  postRate: number;
  /** The request and answer bodies: binary protobuf (the SDK's) or Connect's JSON. */
  codec: SquareCodec;
}

export type SquareCodec = 'binary' | 'json';

const SORTS = [square.ThreadSort.LATEST_REPLY, square.ThreadSort.HOT, square.ThreadSort.NEW] as const;
const SERVICE = square.SquareService;

type Kind = 'list_first' | 'list_next' | 'thread_first' | 'thread_next' | 'reply' | 'create';

class Timings {
  readonly ms = new Map<Kind, number[]>();
  errors = 0;
  readonly reasons = new Set<string>();
  add(kind: Kind, ms: number) {
    let list = this.ms.get(kind);
    if (!list) this.ms.set(kind, (list = []));
    list.push(ms);
  }
  fail(e: unknown) {
    this.errors++;
    if (this.reasons.size < 5) this.reasons.add(String((e as Error).message ?? e).slice(0, 200));
  }
  summary(): Record<string, LatencySummary> {
    const out: Record<string, LatencySummary> = {};
    for (const [k, v] of this.ms) out[k] = summarize(v);
    const reads = [...this.ms].filter(([k]) => !['reply', 'create'].includes(k)).flatMap(([, v]) => v);
    out.all_reads = summarize(reads);
    return out;
  }
}

type Name = 'ListThreads' | 'GetThread' | 'Reply' | 'CreateThread';

/** One call in the run's codec; of the answers only `nextCursor` is read. */
async function call(
  t: Target,
  codec: SquareCodec,
  token: string,
  name: Name,
  body: Record<string, unknown>,
): Promise<{ nextCursor?: string }> {
  const method = SERVICE.methods.find((m) => m.name === name) as DescMethodUnary;
  if (codec === 'binary')
    return (await unaryHttp(t.url, method, body as MessageInitShape<DescMethodUnary['input']>, token)) as {
      nextCursor?: string;
    };
  const json = {
    ...body,
    ...(typeof body.sort === 'number' && { sort: `THREAD_SORT_${square.ThreadSort[body.sort]}` }),
  };
  const res = await fetch(`${t.url}/${SERVICE.typeName}/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(json),
    // A server that stops answering ends the run with errors instead of hanging it.
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`${name}: ${res.status} ${await res.text()}`);
  return (await res.json()) as { nextCursor?: string };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number) => Math.round(x * 100) / 100;

export async function runSquare(o: SquareOptions): Promise<Record<string, unknown>> {
  const seedStart = performance.now();
  const target = await openTarget({
    mode: 'local',
    users: o.users + o.writers,
    groupSize: 0,
    pairs: false,
    square: { threads: o.threads, replies: o.replies },
    env: {
      MYCHAT_SQUARE_POSTS_PER_MINUTE: '10000',
      MYCHAT_SQUARE_NEW_ACCOUNT_HOURS: '0',
      MYCHAT_WS_READ_RATE_PER_SECOND: '1000000',
      MYCHAT_WS_READ_BURST: '1000000',
      // The bulk seed went around the search feed: with the indexer on, the server would spend
      // the run indexing the million posts from scratch on its event loop (over 1 GB of index
      // after five minutes). A live square indexes its posts as they come; that cost is the
      // search scenario's to measure.
      MYCHAT_SEARCH_INDEXER: 'false',
    },
  });
  const seedS = (performance.now() - seedStart) / 1000;
  try {
    const board = target.seed.square;
    if (!board || board.sample.length === 0) throw new Error('the seed has no square board');
    const tokens = target.seed.users.map((u) => u.accessToken);
    const readers = tokens.slice(0, o.users);
    const writers = tokens.slice(o.users, o.users + o.writers);
    // The sample is spread evenly over the board, oldest first; draw from it as the seed drew
    // replies, skewed to the newest threads (the long ones).
    const pickThread = () =>
      board.sample[board.sample.length - 1 - Math.floor(board.sample.length * Math.random() ** 2)]!;

    const read = async (token: string, tm: Timings) => {
      const timed = async (kind: Kind, method: Name, body: Record<string, unknown>) => {
        const t0 = performance.now();
        const r = await call(target, o.codec, token, method, body);
        tm.add(kind, performance.now() - t0);
        return r;
      };
      if (Math.random() < 0.5) {
        const sort = SORTS[Math.floor(Math.random() * SORTS.length)]!;
        const depth = Math.random() < 0.7 ? 0 : 1 + Math.floor(Math.random() * 4);
        let cursor = '';
        for (let p = 0; p <= depth; p++) {
          const r = await timed(p ? 'list_next' : 'list_first', 'ListThreads', {
            boardId: board.boardId,
            sort,
            cursor,
          });
          if (!r.nextCursor) break;
          cursor = r.nextCursor;
          if (p < depth) await sleep(Math.random() * 2 * o.thinkMs);
        }
      } else {
        const thread = pickThread();
        let cursor = '';
        for (let p = 0; ; p++) {
          const r = await timed(p ? 'thread_next' : 'thread_first', 'GetThread', {
            threadId: thread.id,
            cursor,
          });
          if (!r.nextCursor || Math.random() < 0.5) break;
          cursor = r.nextCursor;
          await sleep(Math.random() * 2 * o.thinkMs);
        }
      }
    };

    // The gateway's own timing of the reads (from the call's start in its interceptor to the
    // answer): told apart from the client's latency, it shows what of the tail is the server's.
    const handlerTimes = () =>
      readHistogram(
        target.url,
        'mychat_gateway_rpc_duration_seconds',
        (l) =>
          l.includes(`method="${SERVICE.name}/ListThreads"`) ||
          l.includes(`method="${SERVICE.name}/GetThread"`),
      );
    const phase = async (withWriters: boolean) => {
      const tm = new Timings();
      const handled0 = await handlerTimes();
      const client0 = process.cpuUsage();
      const until = performance.now() + o.durationS * 1000;
      const cpu0 = sumStats(target.pids()).cpuSeconds;
      const started = performance.now();
      let posted = 0;
      const loops = readers.map(async (token) => {
        // Spread the readers' first requests over one think time.
        await sleep(Math.random() * o.thinkMs);
        while (performance.now() < until) {
          await read(token, tm).catch((e: unknown) => tm.fail(e));
          await sleep(Math.random() * 2 * o.thinkMs);
        }
      });
      const perWriterMs = (1000 * writers.length) / o.postRate;
      const writing = withWriters
        ? writers.map(async (token, w) => {
            await sleep((perWriterMs * w) / writers.length);
            for (let k = 0; performance.now() < until; k++) {
              const due = started + (perWriterMs * w) / writers.length + k * perWriterMs;
              if (due > performance.now()) await sleep(due - performance.now());
              const t0 = performance.now();
              const body = `Bench reply ${w}-${k}: 周末一起去公园散步吗？ **yes**`;
              const create = k % 10 === 9;
              try {
                if (create)
                  await call(target, o.codec, token, 'CreateThread', {
                    boardId: board.boardId,
                    title: `New ${w}-${k}`,
                    body,
                  });
                else await call(target, o.codec, token, 'Reply', { threadId: pickThread().id, body });
                tm.add(create ? 'create' : 'reply', performance.now() - t0);
                posted++;
              } catch (e) {
                tm.fail(e);
              }
            }
          })
        : [];
      await Promise.all([...loops, ...writing]);
      const s = (performance.now() - started) / 1000;
      const reads = tm.summary().all_reads!.n;
      const client = process.cpuUsage(client0);
      const handled = sharesOver(handled0, await handlerTimes());
      return {
        writers: withWriters ? writers.length : 0,
        reads_per_s: round(reads / s),
        posts_per_s: round(posted / s),
        latency_ms: tm.summary(),
        reads_over_in_server: handled.over,
        errors: tm.errors,
        error_reasons: [...tm.reasons],
        server_cpu_s: round(sumStats(target.pids()).cpuSeconds - cpu0),
        // This generator's own CPU: it shares the cores with the server.
        client_cpu_s: round((client.user + client.system) / 1e6),
        load_average_1m: round(os.loadavg()[0]!),
      };
    };

    const readersAlone = await phase(false);
    const withWriters = await phase(true);
    return {
      scenario: 'square',
      mode: 'local',
      sql: 'sqlite',
      codec: o.codec,
      threads: board.threads,
      replies: board.replies,
      seed_and_start_s: round(seedS),
      readers: o.users,
      think_ms: o.thinkMs,
      duration_s: o.durationS,
      readers_alone: readersAlone,
      with_writers: withWriters,
      server_rss_mib: sumStats(target.pids()).rssMiB,
    };
  } finally {
    await target.stop();
  }
}
