/**
 * `mychat bench-seed`: the benchmark's population, created fast. Accounts come from the auth
 * service (no verification codes, one password hashed once, a session and access token each);
 * friendships and the group go through the contacts service's own RPCs, which tell the
 * message service about the new conversations exactly as in production. Nothing here touches
 * a table: each service writes its own. The one exception is the square's board
 * (`--square-threads`, `--square-replies`): a million posts are written in bulk through the
 * square's own store (square.bench-seed.ts), not over RPC; so are the search benchmark's
 * messages (`--messages`: message.bench-seed.ts, through the message store's send path).
 */
import fs from 'node:fs';
import { contacts } from '@mychat/protocol';
import { createApp, type App } from '../app.js';
import { ConfigError } from '../kernel/config.js';
import { createIdGenerator } from '../kernel/ids.js';
import { seedMessages } from '../services/message/message.bench-seed.js';
import { createMessageStore } from '../services/message/store/create-message-store.js';
import { seedSquareBoard, type SquareSeedOutput } from '../services/square/square.bench-seed.js';
import { squareMigrations } from '../services/square/square.migrations.js';
import { SquareStore } from '../services/square/square.repository.js';
import { callHeaders, type Caller } from '../rpc/call-context.js';
import { corpusText, rng } from './bench-corpus.js';
import { oneShot, type CommandContext } from './command.js';

/**
 * The command: seeds through auth, contacts and message started in this process (ports 0) on
 * the configured database, and writes the seeded accounts and their tokens to `--out` (0600).
 */
export async function benchSeedCommand(
  { sources, out }: CommandContext,
  /** Its own options: users, group-size, tag, out, pairs, friends. */
  options: Record<string, string | undefined>,
): Promise<number> {
  const plan = {
    users: Number(options.users ?? 1000),
    groupSize: Number(options['group-size'] ?? 0),
    tag: options.tag ?? Date.now().toString(36),
    pairs: options.pairs !== 'false',
    friends: Number(options.friends ?? 0),
    squareThreads: Number(options['square-threads'] ?? 0),
    squareReplies: Number(options['square-replies'] ?? 0),
    messages: Number(options.messages ?? 0),
  };
  const file = options.out;
  if (!file) throw new ConfigError('bench-seed needs --out=<file> for the tokens');
  const app = createApp({ targets: ['auth', 'contacts', 'message'], config: oneShot(sources) });
  assertSeedAllowed(app);
  validatePlan(plan);
  await app.start();
  try {
    const started = performance.now();
    const seeded = await benchSeed(app, plan);
    fs.writeFileSync(file, JSON.stringify(seeded), { mode: 0o600 });
    out(
      `seeded ${seeded.users.length} users, ${seeded.pairs.length} friend pairs` +
        `${seeded.friends ? `, ${seeded.friends} friends each` : ''}` +
        `${seeded.group ? `, a group of ${seeded.group.members}` : ''}` +
        `${seeded.square ? `, a board of ${seeded.square.threads} threads and ${seeded.square.replies} replies` : ''}` +
        `${seeded.messages ? `, ${seeded.messages} messages` : ''} in ` +
        `${((performance.now() - started) / 1000).toFixed(1)} s; tokens in ${file}`,
    );
  } finally {
    await app.stop();
  }
  return 0;
}

export interface SeedPlan {
  /** Accounts to create (paired as friends 0-1, 2-3, ...). */
  users: number;
  /** Members of one group owned by user 0 (0 = no group); its members are users 0..groupSize-1. */
  groupSize: number;
  /** Distinguishes the accounts of one seeding from another's (emails are unique). */
  tag: string;
  /** Make friend pairs (default true); connection-only benchmarks skip them. */
  pairs?: boolean;
  /**
   * Friends per user on a ring (the moments benchmark): user i befriends users i+1 .. i+friends/2
   * (modulo users), so each has `friends` friends (an even number). 0 (default): none beyond
   * the pairs and the group.
   */
  friends?: number;
  /** Threads of one public square board written in bulk (0, the default: no board). */
  squareThreads?: number;
  /** Replies spread over those threads, a few threads long and most short. */
  squareReplies?: number;
  /**
   * Messages of the search benchmark's corpus (bench-corpus.ts) written in bulk: half in the
   * group (when there is one), half in the friend pairs' chats, by their members in turn.
   */
  messages?: number;
}

export interface SeededUser {
  id: string;
  email: string;
  accessToken: string;
  /** Epoch ms. */
  accessExpiresAt: number;
}

/** What the load generator reads: who exists, who is friends in which conversation, the group. */
export interface SeedOutput {
  password: string;
  users: SeededUser[];
  /** Friend pairs by user index, with their 1:1 conversation. */
  pairs: { a: number; b: number; conversationId: string }[];
  group?: { id: string; members: number };
  /** Friends per user on the ring (see {@link SeedPlan.friends}); 0 when none. */
  friends: number;
  /** The square's board, when asked for, with some of its threads and their reply counts. */
  square?: SquareSeedOutput;
  /** Messages written in bulk (SeedPlan.messages); 0 when none. */
  messages: number;
}

/** The friends of user `i` on the seed's ring of `users` with `friends` each (SeedPlan.friends). */
export function ringFriends(i: number, users: number, friends: number): number[] {
  const out: number[] = [];
  for (let k = 1; k <= friends / 2; k++) out.push((i + k) % users, (i - k + users) % users);
  return out;
}

const IDS_PER_CALL = 100;

/** The shared password of seeded accounts (they can also log in normally). */
export const SEED_PASSWORD = 'bench-seed-password-7x';

/** Refuses unless the config allows seeding (a server with real users must never allow it). */
export function assertSeedAllowed(app: Pick<App, 'config'>): void {
  if (!app.config.bench.seed) {
    throw new ConfigError(
      'bench-seed is disabled: it creates accounts without verification. Set bench.seed=true ' +
        '(MYCHAT_BENCH_SEED=true) only on a server used for benchmarks.',
    );
  }
}

export function validatePlan(plan: SeedPlan): void {
  if (!Number.isInteger(plan.users) || plan.users < 2 || plan.users > 1_000_000)
    throw new ConfigError('--users must be an integer from 2 to 1000000');
  if (!Number.isInteger(plan.groupSize) || plan.groupSize < 0 || plan.groupSize > plan.users)
    throw new ConfigError('--group-size must be an integer from 0 to --users');
  if (!/^[a-z0-9-]{1,32}$/.test(plan.tag)) throw new ConfigError('--tag must be 1-32 of [a-z0-9-]');
  const f = plan.friends ?? 0;
  if (!Number.isInteger(f) || f < 0 || f % 2 !== 0 || f >= plan.users)
    throw new ConfigError('--friends must be an even integer from 0 to below --users');
  const [t, r] = [plan.squareThreads ?? 0, plan.squareReplies ?? 0];
  if (!Number.isInteger(t) || t < 0 || t > 10_000_000)
    throw new ConfigError('--square-threads must be an integer from 0 to 10000000');
  if (!Number.isInteger(r) || r < 0 || r > 100_000_000 || (r > 0 && t === 0))
    throw new ConfigError('--square-replies must be an integer from 0 to 100000000, with --square-threads');
  const m = plan.messages ?? 0;
  if (!Number.isInteger(m) || m < 0 || m > 100_000_000)
    throw new ConfigError('--messages must be an integer from 0 to 100000000');
  if (m > 0 && plan.groupSize < 2 && plan.pairs === false)
    throw new ConfigError('--messages needs a group (--group-size) or friend pairs to write them in');
}

/** Seeds into a started app running auth, contacts and message. */
export async function benchSeed(app: App, plan: SeedPlan, concurrency = 8): Promise<SeedOutput> {
  assertSeedAllowed(app);
  validatePlan(plan);
  const accounts = Array.from({ length: plan.users }, (_, i) => ({
    email: `bench-${plan.tag}-${i}@bench.invalid`,
    nickname: `b${i}`,
  }));
  const sessions = await app
    .value('auth')
    .seedAccounts(
      accounts,
      SEED_PASSWORD,
      { clientType: 'bot', deviceId: `bench-${plan.tag}`, name: 'bench' },
      concurrency,
    );
  const callers: Caller[] = sessions.map((s) => ({
    userId: s.user.id,
    sessionId: s.sessionId,
    clientType: 'bot',
    deviceId: 'bench',
  }));
  const api = app.value('rpc').client(contacts.ContactsService);
  const befriend = async (a: number, b: number): Promise<string> => {
    const { request } = await api.sendFriendRequest(
      { userId: callers[b]!.userId, note: '' },
      { headers: callHeaders({ caller: callers[a]! }) },
    );
    const r = await api.respondFriendRequest(
      { requestId: request!.id, action: 'accept' },
      { headers: callHeaders({ caller: callers[b]! }) },
    );
    return r.conversationId;
  };
  const pairs: SeedOutput['pairs'] = [];
  const work: [number, number][] = [];
  if (plan.pairs !== false) for (let i = 0; i + 1 < plan.users; i += 2) work.push([i, i + 1]);
  // The group's owner (user 0) must be friends with every member; 0-1 may already be a pair.
  const ownerFriends: [number, number][] = [];
  for (let i = plan.pairs === false ? 1 : 2; i < plan.groupSize; i++) ownerFriends.push([0, i]);
  await inParallel(work, concurrency, async ([a, b]) => {
    pairs.push({ a, b, conversationId: await befriend(a, b) });
  });
  await inParallel(ownerFriends, concurrency, async ([a, b]) => {
    await befriend(a, b);
  });
  // The ring, less the edges already made (a pair, the group owner's).
  const made = new Set([...work, ...ownerFriends].map(([a, b]) => `${Math.min(a, b)}:${Math.max(a, b)}`));
  const ring: [number, number][] = [];
  for (let i = 0; i < plan.users; i++)
    for (let k = 1; k <= (plan.friends ?? 0) / 2; k++) {
      const j = (i + k) % plan.users;
      const key = `${Math.min(i, j)}:${Math.max(i, j)}`;
      if (!made.has(key)) ring.push([i, j]);
      made.add(key);
    }
  await inParallel(ring, concurrency, async ([a, b]) => {
    await befriend(a, b);
  });
  pairs.sort((x, y) => x.a - y.a);
  let group: SeedOutput['group'];
  if (plan.groupSize >= 2) {
    // CreateGroup and InviteToGroup take at most 100 ids per call: create, then invite the rest.
    const members = callers.slice(1, plan.groupSize).map((c) => c.userId);
    const owner = { headers: callHeaders({ caller: callers[0]! }) };
    const r = await api.createGroup(
      { name: `bench ${plan.tag}`, memberIds: members.slice(0, IDS_PER_CALL) },
      owner,
    );
    const id = r.group!.id;
    for (let i = IDS_PER_CALL; i < members.length; i += IDS_PER_CALL)
      await api.inviteToGroup({ groupId: id, userIds: members.slice(i, i + IDS_PER_CALL) }, owner);
    group = { id, members: plan.groupSize };
  }
  return {
    password: SEED_PASSWORD,
    users: sessions.map((s) => ({
      id: s.user.id,
      email: s.user.email ?? '',
      accessToken: s.accessToken,
      accessExpiresAt: s.accessExpiresAt,
    })),
    pairs,
    ...(group && { group }),
    friends: plan.friends ?? 0,
    ...(plan.squareThreads ? { square: await seedSquare(app, plan, callers) } : {}),
    messages: plan.messages ? await seedCorpus(app, plan, callers, pairs, group?.id) : 0,
  };
}

/** The search corpus in bulk: half in the group, half spread over the pairs' chats. */
async function seedCorpus(
  app: App,
  plan: SeedPlan,
  callers: Caller[],
  pairs: SeedOutput['pairs'],
  groupId: string | undefined,
): Promise<number> {
  const direct = pairs.map((p) => ({
    id: p.conversationId,
    senderIds: [callers[p.a]!.userId, callers[p.b]!.userId],
  }));
  const group = groupId
    ? [{ id: groupId, senderIds: callers.slice(0, plan.groupSize).map((c) => c.userId) }]
    : [];
  // Every other message in the group (when there is one), the rest round robin over the pairs.
  const conversations = direct.length ? direct.flatMap((d) => [...group, d]) : group;
  const r = rng(22);
  const out = await seedMessages(createMessageStore(app.value('sql')), {
    messages: plan.messages ?? 0,
    conversations,
    // History: the newest an hour old (the indexer reads each once, as in a rebuild), 10 ms apart.
    endAt: Date.now() - 3_600_000,
    stepMs: 10,
    nodeId: app.config.nodeId,
    text: () => corpusText(r),
  });
  return out.messages;
}

/** One public board of the square in bulk, its threads and replies by the seeded users. */
async function seedSquare(app: App, plan: SeedPlan, callers: Caller[]): Promise<SquareSeedOutput> {
  const sql = app.value('sql');
  await sql.migrate('square', squareMigrations);
  return seedSquareBoard(SquareStore.of(sql), createIdGenerator(app.config.nodeId), {
    threads: plan.squareThreads ?? 0,
    replies: plan.squareReplies ?? 0,
    authorIds: callers.map((c) => c.userId),
    sample: 2_000,
    now: Date.now(),
  });
}

async function inParallel<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, n) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}
