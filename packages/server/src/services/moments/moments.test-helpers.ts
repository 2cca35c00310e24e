/**
 * Helpers of the moments system tests: a server (every module, the worker included) on one of
 * the engines, people who befriend each other, posts, and waiting for the fan-out.
 */
import type { Client } from '@connectrpc/connect';
import { moments } from '@mychat/protocol';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { expect } from 'vitest';
import type { Clock } from '../../kernel/clock.js';
import { MomentsStore } from './moments.repository.js';
import {
  befriend,
  newUser,
  startContactsEnv,
  type ContactsEnv,
  type ContactsSetup,
  type TestUser,
} from '../../../test/helpers/contacts-helpers.js';

export type MomentsClient = Client<typeof moments.MomentsService>;

export interface MomentsEnv extends ContactsEnv {
  moments: MomentsClient;
  store: MomentsStore;
}

/** The SQLite, MariaDB + Redis and PostgreSQL + Redis setups (the real message service). */
export const MOMENTS_SETUPS: readonly ContactsSetup[] = [
  { name: 'SQLite + memory kv', engine: 'sqlite', redis: false, fakeMessage: false },
  { name: 'MariaDB + Redis', engine: 'mysql', redis: true, fakeMessage: false },
  { name: 'PostgreSQL + Redis', engine: 'postgres', redis: true, fakeMessage: false },
];

export async function startMomentsEnv(
  setup: ContactsSetup,
  clock?: Clock,
  overrides: Record<string, unknown> = {},
): Promise<MomentsEnv> {
  const env = await startContactsEnv(
    setup,
    { worker: { pollIntervalMs: 50 }, moments: { fanoutPollMs: 50 }, ...overrides },
    clock,
  );
  return {
    ...env,
    moments: env.server.client(moments.MomentsService),
    store: MomentsStore.of(env.server.app.value('sql')),
  };
}

export const tokenOf = (u: TestUser) => u.h.headers.authorization.slice('Bearer '.length);

/** People with the given nicknames, in that order. */
export async function people(env: MomentsEnv, ...names: string[]): Promise<TestUser[]> {
  const out: TestUser[] = [];
  for (const n of names) out.push(await newUser(env, n));
  return out;
}

/** Makes every pair of the list friends. */
export async function allFriends(env: MomentsEnv, ...users: TestUser[]): Promise<void> {
  for (let i = 0; i < users.length; i++)
    for (let j = i + 1; j < users.length; j++) await befriend(env.api, users[i]!, users[j]!);
}

/** Makes `u` friends with each of `others` (and nobody else with anyone). */
export async function friendsWith(env: MomentsEnv, u: TestUser, ...others: TestUser[]): Promise<void> {
  for (const o of others) await befriend(env.api, u, o);
}

export type PublishShape = MessageInitShape<typeof moments.PublishMomentRequestSchema>;

export async function publish(env: MomentsEnv, u: TestUser, req: PublishShape): Promise<moments.Moment> {
  const r = await env.moments.publishMoment(req, u.h);
  return r.moment!;
}

/** Waits until the fan-out worker has written out every published post. */
export async function fannedOut(env: MomentsEnv): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if ((await env.store.posts.pending()) === 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the fan-out did not finish');
}

/** The ids of the posts `u` sees in their feed (first page of 50). */
export async function feedIds(env: MomentsEnv, u: TestUser): Promise<string[]> {
  return (await env.moments.getTimeline({ limit: 50 }, u.h)).moments.map((m) => m.id);
}

/** The ids of `owner`'s posts `u` sees on the album page. */
export async function albumIds(env: MomentsEnv, u: TestUser, owner: TestUser): Promise<string[]> {
  return (await env.moments.getAlbum({ userId: owner.id, limit: 50 }, u.h)).moments.map((m) => m.id);
}

/** Whether `u` sees the post by id (GetMoment), NOT_FOUND meaning no. */
export async function canOpen(env: MomentsEnv, u: TestUser, id: string): Promise<boolean> {
  try {
    await env.moments.getMoment({ momentId: id }, u.h);
    return true;
  } catch (err) {
    expect((err as Error).message).toMatch(/no such moment/);
    return false;
  }
}
