import type { IdGenerator } from '../../kernel/ids.js';
import { renderPost } from './square.markdown.js';
import { hotKey } from './square.ranking.js';
import type { PostRow, SquareStore, ThreadRow } from './square.repository.js';
import { excerpt, LIMITS } from './square.validation.js';

/** What `mychat bench-seed --square-threads=N --square-replies=M` puts in the square. */
export interface SquareSeedPlan {
  threads: number;
  replies: number;
  /** Who writes: threads and replies go to these users in turn. */
  authorIds: readonly string[];
  /** Threads to name in the answer (with their reply counts), spread over the board. */
  sample: number;
  /** The newest thread's creation time, epoch ms; the others go back one minute each. */
  now: number;
}

export interface SquareSeedOutput {
  boardId: string;
  threads: number;
  replies: number;
  sample: { id: string; replies: number }[];
}

/** Rows per INSERT: 14 columns x 400 stays under every engine's bound-parameter limit. */
const BATCH = 400;
/** Threads per transaction. */
const THREADS_PER_TX = 2_000;

const BODIES = Array.from({ length: 32 }, (_, i) => {
  const body =
    `第 ${i} 楼：周末一起去公园散步吗？ The **board** seed text number ${i}, ` +
    `with a [link](https://example.com/${i}) and some 中文 to make it ${'long '.repeat(i % 7)}enough.`;
  return { body, html: renderPost(body) };
});

/** A deterministic generator: the same board for the same plan. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Writes one public board of `threads` threads and `replies` replies straight into the
 * square's tables through its store, in multi-row INSERTs (creating a million posts over
 * RPC, one transaction each, would take hours and measure nothing the benchmark asks). Replies
 * fall on threads by a skewed draw, so a few threads are long and most are short, and each
 * thread's counters, floors, hot score and last reply time are what the service would have
 * written. For benchmarks only: the caller checks `bench.seed`.
 */
export async function seedSquareBoard(
  store: SquareStore,
  ids: IdGenerator,
  plan: SquareSeedPlan,
): Promise<SquareSeedOutput> {
  if (plan.authorIds.length === 0) throw new Error('the square seed needs authors');
  const random = rng(26);
  const counts = new Uint32Array(plan.threads);
  for (let r = 0; r < plan.replies; r++) {
    const k = Math.floor(plan.threads * random() ** 2);
    counts[k] = (counts[k] ?? 0) + 1;
  }
  const boardId = ids.next();
  await store.insertBoard({
    id: boardId,
    name: 'bench',
    description: `${plan.threads} threads, ${plan.replies} replies`,
    groupId: '',
    threadCount: 0,
    createdBy: '0',
    createdAt: plan.now,
  });
  const author = (k: number) => plan.authorIds[k % plan.authorIds.length]!;
  const every = Math.max(1, Math.floor(plan.threads / Math.max(1, plan.sample)));
  const sample: SquareSeedOutput['sample'] = [];
  let written = 0;
  // Oldest first, so ids (the "new" order) follow creation times.
  for (let from = 0; from < plan.threads; from += THREADS_PER_TX) {
    const threads: ThreadRow[] = [];
    const posts: PostRow[] = [];
    for (let i = from; i < Math.min(plan.threads, from + THREADS_PER_TX); i++) {
      const n = counts[plan.threads - 1 - i]!;
      const createdAt = plan.now - (plan.threads - i) * 60_000;
      const threadId = ids.next();
      const first = BODIES[i % BODIES.length]!;
      for (let f = 0; f <= n; f++) {
        const text = BODIES[(i + f) % BODIES.length]!;
        posts.push({
          id: ids.next(),
          threadId,
          authorId: author(i + f),
          floor: f,
          body: text.body,
          html: text.html,
          quotePostId: '',
          media: [],
          mentions: [],
          likeCount: 0,
          removed: false,
          removedReason: '',
          editedAt: 0,
          // A thread's replies within its minute: no time lands in the future.
          createdAt: createdAt + Math.floor((f * 59_000) / Math.max(1, n)),
        });
      }
      threads.push({
        id: threadId,
        boardId,
        authorId: author(i),
        title: `Bench thread ${i}: 周末公园散步`,
        excerpt: excerpt(first.body, LIMITS.excerpt),
        firstPostId: posts[posts.length - 1 - n]!.id,
        postSeq: n + 1,
        replyCount: n,
        likeCount: 0,
        hot: hotKey(0, n, createdAt),
        pinned: false,
        locked: false,
        removed: false,
        createdAt,
        lastReplyAt: posts[posts.length - 1]!.createdAt,
      });
      if (i % every === 0 && sample.length < plan.sample) sample.push({ id: threadId, replies: n });
      written += n;
    }
    await store.transaction(async (tx) => {
      for (let k = 0; k < threads.length; k += BATCH) await tx.insertThreads(threads.slice(k, k + BATCH));
      for (let k = 0; k < posts.length; k += BATCH) await tx.insertPosts(posts.slice(k, k + BATCH));
      await tx.addThreadCount(boardId, threads.length);
    });
  }
  return { boardId, threads: plan.threads, replies: written, sample };
}
