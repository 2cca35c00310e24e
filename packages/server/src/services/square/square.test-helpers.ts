/**
 * Helpers of the square system tests: a server (every module) on one of the engines, people,
 * groups, square admins (granted in the square's own table) and boards.
 */
import type { Client } from '@connectrpc/connect';
import { square } from '@mychat/protocol';
import type { Clock } from '../../kernel/clock.js';
import { SquareStore } from './square.repository.js';
import {
  befriend,
  newUser,
  startContactsEnv,
  type ContactsEnv,
  type ContactsSetup,
  type TestUser,
} from '../../../test/helpers/contacts-helpers.js';

export type SquareClient = Client<typeof square.SquareService>;

export interface SquareEnv extends ContactsEnv {
  square: SquareClient;
  store: SquareStore;
}

export const SQUARE_SETUPS: readonly ContactsSetup[] = [
  { name: 'SQLite + memory kv', engine: 'sqlite', redis: false, fakeMessage: false },
  { name: 'MariaDB + Redis', engine: 'mysql', redis: true, fakeMessage: false },
  { name: 'PostgreSQL + Redis', engine: 'postgres', redis: true, fakeMessage: false },
];

/** Generous posting limits unless a test sets its own. */
export async function startSquareEnv(
  setup: ContactsSetup,
  square: Record<string, unknown> = {},
  clock?: Clock,
  /** Other modules' settings. */
  others: Record<string, unknown> = {},
): Promise<SquareEnv> {
  const env = await startContactsEnv(
    setup,
    { ...others, square: { postsPerMinute: 10_000, newAccountPostsPerDay: 100_000, ...square } },
    clock,
  );
  return {
    ...env,
    square: env.server.client(squareService),
    store: SquareStore.of(env.server.app.value('sql')),
  };
}

const squareService = square.SquareService;

export async function people(env: SquareEnv, ...names: string[]): Promise<TestUser[]> {
  const out: TestUser[] = [];
  for (const n of names) out.push(await newUser(env, n));
  return out;
}

/** Makes `u` a square admin (the command line's way). */
export async function makeAdmin(env: SquareEnv, u: TestUser): Promise<void> {
  await env.store.social.setAdmin(u.id, true, Date.now());
}

export async function publicBoard(env: SquareEnv, admin: TestUser, name = 'General'): Promise<square.Board> {
  return (await env.square.createBoard({ name, description: 'talk' }, admin.h)).board!;
}

/** A group of `owner` with `members` (befriended first), and its board. */
export async function groupBoard(
  env: SquareEnv,
  owner: TestUser,
  members: TestUser[],
): Promise<{ groupId: string; board: square.Board }> {
  for (const m of members) await befriend(env.api, owner, m);
  const { group } = await env.api.createGroup({ name: 'Club', memberIds: members.map((m) => m.id) }, owner.h);
  const { board } = await env.square.createBoard({ name: 'Club board', groupId: group!.id }, owner.h);
  return { groupId: group!.id, board: board! };
}

export async function thread(
  env: SquareEnv,
  u: TestUser,
  boardId: string,
  title = 'Hello',
  body = 'first post',
) {
  return env.square.createThread({ boardId, title, body }, u.h);
}
