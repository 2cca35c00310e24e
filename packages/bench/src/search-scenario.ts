/**
 * `npm run bench -- search`: message search on a corpus of mixed Chinese/English text.
 *
 * 1. Load: --seed-messages written straight into the message store by `mychat bench-seed`
 *    before the server starts (history: the indexer builds their index from scratch), then
 *    --messages from seeded users over the WebSocket (half in one group every user is in, half
 *    in 1:1 chats), as fast as --concurrency sends in flight allow; then wait until the
 *    indexer has taken the last one (index build time and rate, from the server's start).
 * 2. Queries: --queries SearchMessages calls per class (1, 2 and 3+ Chinese characters, an
 *    English word prefix) by a group member, who can read at least half the corpus; latency
 *    percentiles per class.
 * 3. Lag: chat at --rate messages/s for --duration s; every 20th message carries a unique word,
 *    searched for until found: the time from its send_ack to being found (index lag).
 * 4. Size: the index's bytes per message (SQLite: search.db; PostgreSQL: its tables).
 *
 * --analyze (PostgreSQL): between 1 and 2, `VACUUM ANALYZE` of the index's tables, as autovacuum
 * would do in a deployment (on by default): without it a freshly bulk-written index has no
 * statistics and no visibility map on a server that runs with autovacuum off.
 *
 * Runs on the all-in-one server, on SQLite (default) or PostgreSQL (--sql postgres). The
 * saturation rate with indexing on and off is `saturate` run twice, the second time with
 * MYCHAT_SEARCH_INDEXER=false (docs/performance.md).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusText, rng } from '@mychat/server/bench-corpus';
import { createClusterDatabase } from '@mychat/server/dev/cluster';
import { LeanClient } from './lean-client.js';
import { summarize, type LatencySummary } from './stats.js';
import { openTarget, type Target } from './target.js';

export interface SearchOptions {
  users: number;
  messages: number;
  /** Messages written straight into the message store before the server starts (bench-seed). */
  seedMessages: number;
  queries: number;
  rate: number;
  durationS: number;
  concurrency: number;
  sql: 'sqlite' | 'postgres';
  /** PostgreSQL: VACUUM ANALYZE the index's tables after the build (not in its time). */
  analyze?: boolean;
}

const QUERIES = {
  cjk1: ['园', '会', '饭', '车', '书', '天', '票', '报', '客', '站'],
  cjk2: ['公园', '开会', '项目', '预算', '快递', '合同', '出差', '模型', '天气', '客户'],
  cjk3: ['天安门', '图书馆', '数据库', '会议室', '生日快乐', '火车站', '咖啡馆', '辛苦了'],
  en: ['meet', 'proj', 'dead', 'rev', 'budg', 'tok', 'deploy', 'sched', 'invo', 'cof'],
};

export async function runSearch(o: SearchOptions): Promise<Record<string, unknown>> {
  const database = o.sql === 'postgres' ? await createClusterDatabase('postgres') : undefined;
  let buildStart = 0;
  const target = await openTarget({
    mode: 'local',
    users: o.users,
    groupSize: o.users,
    pairs: true,
    seedMessages: o.seedMessages,
    // The indexer starts with the server: the build is timed from the seed's end (so it
    // includes the server's start, a second or two).
    onSeeded: () => (buildStart = performance.now()),
    env: {
      ...(database && { MYCHAT_SQL_URL: database.url }),
      MYCHAT_SEARCH_POLL_INTERVAL_MS: '100',
      // One user searches back to back: the per-account read budget would refuse that.
      MYCHAT_WS_READ_RATE_PER_SECOND: '1000000',
      MYCHAT_WS_READ_BURST: '1000000',
    },
  });
  const clients: LeanClient[] = [];
  try {
    for (const u of target.seed.users)
      clients.push(await LeanClient.connect({ url: target.url, accessToken: u.accessToken }));
    const group = target.seed.group?.id;
    if (!group) throw new Error('the seed has no group');
    // Each sender's own 1:1 chat (a seeded pair it is in); users without one send to the group.
    const pairOf = new Map<number, string>();
    for (const p of target.seed.pairs) {
      pairOf.set(p.a, p.conversationId);
      pairOf.set(p.b, p.conversationId);
    }
    const r = rng(22);
    let cmid = 0;
    const tag = Date.now().toString(36);
    const sendOne = (sender: number, i: number) => {
      const pair = pairOf.get(sender);
      const conv = i % 2 === 0 || pair === undefined ? group : pair;
      return clients[sender]!.sendText(conv, `s${tag}-${++cmid}`, corpusText(r));
    };

    // 1. Load. Every lane sends from one socket, so no socket has more than 32 sends in flight
    // (it takes 64); lanes are spread over the senders round robin.
    const loadStart = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(o.concurrency, o.messages, clients.length * 32) }, async (_, lane) => {
        const sender = lane % clients.length;
        while (next < o.messages) await sendOne(sender, next++);
      }),
    );
    const loadS = (performance.now() - loadStart) / 1000;
    const searcher = target.seed.users[0]!.accessToken;
    const marker = `zzmarker${tag}`;
    await clients[0]!.sendText(group, `s${tag}-marker`, marker);
    const indexStart = performance.now();
    while ((await searchOnce(target, searcher, marker)).hits < 1) await sleep(100);
    const catchUpS = (performance.now() - indexStart) / 1000;
    const buildS = (performance.now() - buildStart) / 1000;
    // A long run's first result, before the queries and the lag phase.
    process.stderr.write(
      `bench: index built in ${round(buildS)} s (${o.seedMessages + o.messages + 1} messages)\n`,
    );

    let analyzeS: number | undefined;
    if (o.analyze && database) {
      const t0 = performance.now();
      await pgRun(database.url, 'vacuum analyze search_docs, search_postings, search_state');
      analyzeS = (performance.now() - t0) / 1000;
      process.stderr.write(`bench: vacuum analyze took ${round(analyzeS)} s\n`);
    }

    // 2. Queries.
    const queries: Record<string, LatencySummary & { avg_hits: number }> = {};
    for (const [cls, pool] of Object.entries(QUERIES)) {
      const ms: number[] = [];
      let hits = 0;
      for (let i = 0; i < o.queries; i++) {
        const t0 = performance.now();
        hits += (await searchOnce(target, searcher, pool[i % pool.length]!)).hits;
        ms.push(performance.now() - t0);
      }
      queries[cls] = { ...summarize(ms), avg_hits: Math.round(hits / o.queries) };
    }
    // Kept if the lag phase fails (a long run's second result).
    process.stderr.write(`bench: queries_ms ${JSON.stringify(queries)}\n`);

    // 3. Lag under chat at --rate.
    const lags: number[] = [];
    const waiting: Promise<void>[] = [];
    // The tracked words in the order sent, each searched for by one of LAG_POLLERS pollers
    // until found: a poller per word made up to a thousand searches a second at 1 000 msg/s (a
    // load of its own); one poller for all fell behind at 25 words/s and measured its own queue.
    const pending: { word: string; acked: number }[] = [];
    let sending = true;
    let searchErrors = 0;
    let lost = 0;
    const poll = async () => {
      while (sending || pending.length) {
        const w = pending.shift();
        if (!w) {
          await sleep(20);
          continue;
        }
        for (;;) {
          const found = await searchOnce(target, searcher, w.word).then(
            (r) => r.hits > 0,
            () => (searchErrors++, false),
          );
          if (found) lags.push(performance.now() - w.acked);
          else if (performance.now() - w.acked > LAG_GIVE_UP_MS) lost++;
          else {
            await sleep(20);
            continue;
          }
          break;
        }
      }
    };
    const poller = Promise.all(Array.from({ length: LAG_POLLERS }, poll));
    const lagStart = performance.now();
    let sent = 0;
    const total = o.rate * o.durationS;
    // A socket takes 64 requests in flight: a server slower than --rate holds the generator back
    // at 48 per socket rather than having sends refused (reported as held_back_ms).
    const inFlight = clients.map(() => 0);
    let heldBackMs = 0;
    const tracked = <T>(c: number, p: Promise<T>) => {
      inFlight[c]!++;
      return p.finally(() => inFlight[c]!--);
    };
    while (sent < total) {
      const due = lagStart + (sent / o.rate) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const i = sent++;
      const c = i % clients.length;
      const held = performance.now();
      while (inFlight[c]! >= 48) await sleep(5);
      heldBackMs += performance.now() - held;
      if (i % 20 === 0) {
        const word = `lag${tag}x${i}`;
        waiting.push(
          tracked(c, clients[c]!.sendText(group, `l${tag}-${i}`, `${word} 延迟测试`)).then(() => {
            pending.push({ word, acked: performance.now() });
          }),
        );
      } else waiting.push(tracked(c, sendOne(c, o.messages + i)).then(() => undefined));
    }
    await Promise.all(waiting);
    sending = false;
    await poller;

    // 4. Size.
    const bytes = await indexBytes(target, database?.url);
    const stored = o.seedMessages + o.messages + total + 1;
    return {
      scenario: 'search',
      mode: 'local',
      sql: o.sql,
      users: o.users,
      messages: stored,
      seeded_messages: o.seedMessages,
      load_s: round(loadS),
      load_rate: o.messages ? Math.round(o.messages / loadS) : 0,
      index_catch_up_s: round(catchUpS),
      // From the server up to the last seeded and sent message found: the whole corpus indexed.
      index_build_s: round(buildS),
      index_build_rate: Math.round((o.seedMessages + o.messages + 1) / buildS),
      ...(analyzeS !== undefined && { vacuum_analyze_s: round(analyzeS) }),
      queries_ms: queries,
      lag_rate: o.rate,
      lag_ms: summarize(lags),
      held_back_ms: Math.round(heldBackMs),
      lag_search_errors: searchErrors,
      lag_not_found: lost,
      index_bytes: bytes,
      index_bytes_per_message: Math.round(bytes / stored),
    };
  } finally {
    for (const c of clients) await c.close();
    await target.stop();
    // Kept for a look at its plans (EXPLAIN) without another build: dropped by hand after.
    if (database && process.env.BENCH_KEEP_DATABASE === 'true')
      process.stderr.write(`bench: database kept: ${database.url}\n`);
    else await database?.drop();
  }
}

/** A tracked word not found this long after its send was acknowledged is counted lost, ms. */
const LAG_GIVE_UP_MS = 60_000;
/** Searches in flight at most during the lag phase. */
const LAG_POLLERS = 8;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number) => Math.round(x * 100) / 100;

async function searchOnce(t: Target, token: string, query: string): Promise<{ hits: number }> {
  const res = await fetch(`${t.url}/mychat.search.v1.SearchService/SearchMessages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, limit: 20 }),
  });
  if (!res.ok) throw new Error(`search "${query}" failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { hits?: unknown[] };
  return { hits: body.hits?.length ?? 0 };
}

/** The index's size on disk: search.db and its WAL on SQLite, its three tables on PostgreSQL. */
async function indexBytes(t: Target, pgUrl: string | undefined): Promise<number> {
  if (!pgUrl) {
    const dir = t.dataDir;
    if (!dir) return 0;
    return ['search.db', 'search.db-wal']
      .map((f) => path.join(dir, f))
      .filter((f) => fs.existsSync(f))
      .reduce((n, f) => n + fs.statSync(f).size, 0);
  }
  const r = await pgRun(
    pgUrl,
    `select sum(pg_total_relation_size(c)) as n from unnest(array['search_docs','search_postings','search_state']::regclass[]) c`,
  );
  return Number(r[0]?.n ?? 0);
}

/** One statement on PostgreSQL, its rows. */
async function pgRun(url: string, statement: string): Promise<{ n?: string | null }[]> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // The server's own driver (the bench has no SQL dependency of its own).
  const pg = createRequire(path.resolve(here, '../../server/package.json'))('pg') as {
    Client: new (o: { connectionString: string }) => {
      connect(): Promise<void>;
      query(q: string): Promise<{ rows: { n?: string | null }[] }>;
      end(): Promise<void>;
    };
  };
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(statement)).rows;
  } finally {
    await client.end();
  }
}
