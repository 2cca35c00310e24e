/**
 * `npm run bench -- moments`: users with `--friends` friends each (the seed's ring, plus the chat
 * pairs) post at `--post-rate` posts/s for `--duration` s while every user reads their feed every
 * `--read-every` s, friends like (3) and comment (2) on each post, and the chat scenario runs
 * beside it at `--rate`. It measures the fan-out lag (publish to the hint on each friend's socket,
 * which the worker sends once the pointers are written), GetTimeline latency, and afterwards
 * checks that every post reached every friend's timeline.
 */
import { moments } from '@mychat/protocol';
import { unary } from './connect-call.js';
import { connectMany, type LeanClient, type LeanOptions } from './lean-client.js';
import { atRate } from './rate.js';
import { Meter, round, type RunResult } from './result.js';
import type { RunOptions } from './run-options.js';
import { summarize } from './stats.js';
import type { Target } from './target.js';

/** What the scenario borrows from scenarios.ts (passed in, so the modules do not import each other). */
export interface ScenarioKit {
  flow(o: RunOptions, t: Target, rate: number, kind: 'chat'): Promise<RunResult>;
  base(o: RunOptions, extra: Partial<RunResult>): Omit<RunResult, 'server' | 'generator_cpu_s' | 'machine'>;
  leanOptions(t: Target, i: number): LeanOptions;
  closeAll(clients: (LeanClient | undefined)[]): Promise<void>;
}

const S = moments.MomentsService.method;
const LIKES_PER_POST = 3;
const COMMENTS_PER_POST = 2;

/** The friends of user `i` on bench-seed's ring of `users` with `friends` each (its ringFriends). */
export function ringFriends(i: number, users: number, friends: number): number[] {
  const out: number[] = [];
  for (let k = 1; k <= friends / 2; k++) out.push((i + k) % users, (i - k + users) % users);
  return out;
}

/** Everyone's friends by index: the ring, and the chat pair partner when not on it already. */
export function friendSets(t: Target, users: number): Set<number>[] {
  const n = t.seed.users.length;
  const sets = Array.from({ length: n }, (_, i) => new Set(ringFriends(i, n, t.seed.friends ?? 0)));
  for (const p of t.seed.pairs) {
    sets[p.a]!.add(p.b);
    sets[p.b]!.add(p.a);
  }
  return sets.slice(0, users).map((s) => new Set([...s].filter((j) => j < users)));
}

const pick = <T>(xs: readonly T[], k: number): T[] => {
  const copy = [...xs];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, k);
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runMoments(o: RunOptions, t: Target, kit: ScenarioKit): Promise<RunResult> {
  if (!t.seed.friends) throw new Error('the seed has no friend ring (bench-seed --friends=N)');
  const n = o.users;
  const users = t.seed.users.slice(0, n);
  const friends = friendSets(t, n);
  const call = <M extends (typeof S)[keyof typeof S]>(i: number, m: M, req: Parameters<typeof unary<M>>[2]) =>
    unary(t.url, m, req, users[i]!.accessToken);

  // Hints as they arrive: (post, receiver, when); matched with the posts afterwards, since a
  // hint may arrive before the publish call has answered.
  const hints: { post: string; at: number }[] = [];
  const { clients, failed, errors } = await connectMany(
    users.map((_, i) => ({
      ...kit.leanOptions(t, i),
      onPush: (f) => {
        if (f.body.case === 'momentHint') hints.push({ post: f.body.value.momentId, at: performance.now() });
      },
    })),
    o.concurrency,
  );
  // Everyone opens their feed once: active readers, who get pointers from the fan-out.
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < n) await call(next++, S.getTimeline, { limit: 20 });
    }),
  );

  const posts = new Map<string, { author: number; at: number }>();
  const publishMs: number[] = [];
  const readMs: number[] = [];
  let readErrors = 0;
  let readItems = 0;
  let readWithComments = 0;
  let interactions = 0;
  let interactionErrors = 0;
  const errorReasons = new Set<string>();
  const noteError = (e: unknown) => errorReasons.size < 5 && errorReasons.add((e as Error).message);
  const pending = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  // Every user reads their feed every readEveryS seconds, each at its own phase.
  let reading = true;
  const readers = users.map(async (_, i) => {
    await sleep(Math.random() * o.readEveryS * 1000);
    while (reading) {
      const t0 = performance.now();
      try {
        const r = await call(i, S.getTimeline, { limit: 20 });
        readMs.push(performance.now() - t0);
        readItems += r.moments.length;
        readWithComments += r.moments.filter((m) => m.comments.length > 0).length;
      } catch (e) {
        readErrors++;
        noteError(e);
      }
      await sleep(o.readEveryS * 1000);
    }
  });

  const interact = (postId: string, author: number) => {
    const mine = [...friends[author]!];
    const acts: (() => Promise<unknown>)[] = [
      ...pick(mine, LIKES_PER_POST).map((u) => () => call(u, S.likeMoment, { momentId: postId })),
      ...pick(mine, COMMENTS_PER_POST).map(
        (u) => () => call(u, S.commentMoment, { momentId: postId, text: `nice ${u}` }),
      ),
    ];
    for (const act of acts)
      track(
        sleep(100 + Math.random() * 900)
          .then(act)
          .then(
            () => void interactions++,
            (e: unknown) => {
              interactionErrors++;
              noteError(e);
            },
          ),
      );
  };

  const meter = new Meter(t);
  const chat = kit.flow({ ...o, scenario: 'chat' }, t, o.rate, 'chat');
  let publishErrors = 0;
  const sending = await atRate(o.postRate, o.durationS, Number.MAX_SAFE_INTEGER, async (k) => {
    const author = Math.floor(Math.random() * n);
    const t0 = performance.now();
    try {
      const r = await call(author, S.publishMoment, { text: `bench post ${k}`, clientId: `b-${k}-${t0}` });
      publishMs.push(performance.now() - t0);
      posts.set(r.moment!.id, { author, at: t0 });
      interact(r.moment!.id, author);
    } catch (e) {
      publishErrors++;
      noteError(e);
    }
  });
  const expectedHints = [...posts.values()].reduce((a, p) => a + friends[p.author]!.size, 0);
  for (let waited = 0; waited < 10_000 && hints.length < expectedHints; waited += 100) await sleep(100);
  reading = false;
  await Promise.all([...readers, ...pending]);
  const chatResult = await chat;
  const m = meter.finish();

  const lag: number[] = [];
  for (const h of hints) {
    const p = posts.get(h.post);
    if (p) lag.push(h.at - p.at);
  }
  const missing = await verify(n, friends, posts, (i, cursor) =>
    call(i, S.getTimeline, { limit: 50, cursor }),
  );
  await kit.closeAll(clients);
  return {
    ...kit.base(o, {
      rate: o.postRate,
      sent: posts.size,
      achieved_rate: round(sending.sent / sending.seconds),
      delivered: lag.length,
      delivered_per_s: round(lag.length / m.elapsed_s),
      latency_ms: summarize(readMs),
      lost: missing + Math.max(0, expectedHints - lag.length),
      extra: {
        latency_is: 'GetTimeline (20 items with likes and comments), ms',
        friends_per_user: t.seed.friends,
        read_every_s: o.readEveryS,
        reads: readMs.length,
        read_errors: readErrors,
        items_per_read: readMs.length ? round(readItems / readMs.length, 1) : 0,
        items_with_comments_per_read: readMs.length ? round(readWithComments / readMs.length, 1) : 0,
        publish_ms: summarize(publishMs),
        publish_errors: publishErrors,
        fanout_lag_ms: summarize(lag),
        fanout_lag_is:
          'publish call start to the moment_hint on each friend socket (sent after the pointers), ms',
        hints_expected: expectedHints,
        hints_received: lag.length,
        timeline_pointers_missing: missing,
        likes_and_comments: interactions,
        interaction_errors: interactionErrors,
        errors: [...errorReasons],
        connect_failed: failed,
        connect_errors: errors,
        chat: {
          rate: o.rate,
          latency_ms: chatResult.latency_ms,
          sent: chatResult.sent,
          lost: chatResult.lost,
          not_pushed_in_time_but_stored: chatResult.extra.not_pushed_in_time_but_stored,
          delivered: chatResult.delivered,
        },
      },
    }),
    ...m,
  };
}

/** Pages through every user's feed: how many (post, friend of its author) pairs are missing. */
async function verify(
  n: number,
  friends: Set<number>[],
  posts: Map<string, { author: number }>,
  page: (i: number, cursor: string) => Promise<moments.GetTimelineResponse>,
): Promise<number> {
  const byAuthor = new Map<number, string[]>();
  for (const [id, p] of posts) byAuthor.set(p.author, [...(byAuthor.get(p.author) ?? []), id]);
  let missing = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < n) {
        const i = next++;
        const seen = new Set<string>();
        let cursor = '';
        do {
          const r = await page(i, cursor);
          for (const m of r.moments) seen.add(m.id);
          cursor = r.nextCursor;
        } while (cursor);
        for (const f of friends[i]!) for (const id of byAuthor.get(f) ?? []) if (!seen.has(id)) missing++;
      }
    }),
  );
  return missing;
}
