/**
 * Helpers of the rooms system tests: a server (every module) on one of the engines, people
 * in a chat, audio uploads, and the error reason of a failed call.
 */
import type { Client } from '@connectrpc/connect';
import { ConnectError } from '@connectrpc/connect';
import { rooms } from '@mychat/protocol';
import { expect } from 'vitest';
import { errorInfoOf } from '../../kernel/errors.js';
import type { Clock } from '../../kernel/clock.js';
import {
  befriend,
  newUser,
  startContactsEnv,
  type ContactsEnv,
  type ContactsSetup,
  type TestUser,
} from '../../../test/helpers/contacts-helpers.js';
import { noisyPng, toneWav } from '../../../test/helpers/media-fixtures.js';
import { uploadOk } from '../../../test/helpers/media-helpers.js';

export type RoomsClient = Client<typeof rooms.RoomsService>;

export interface RoomsEnv extends ContactsEnv {
  rooms: RoomsClient;
}

export const ROOMS_SETUPS: readonly ContactsSetup[] = [
  { name: 'SQLite + memory kv', engine: 'sqlite', redis: false, fakeMessage: false },
  { name: 'MariaDB + Redis', engine: 'mysql', redis: true, fakeMessage: false },
  { name: 'PostgreSQL + Redis', engine: 'postgres', redis: true, fakeMessage: false },
];

export async function startRoomsEnv(
  setup: ContactsSetup,
  overrides: Record<string, unknown> = {},
  clock?: Clock,
): Promise<RoomsEnv> {
  const env = await startContactsEnv(setup, overrides, clock);
  return { ...env, rooms: env.server.client(rooms.RoomsService) };
}

export const tokenOf = (u: TestUser) => u.h.headers.authorization.slice('Bearer '.length);

/** Ann and Ben, friends with their 1:1 conversation; Cat, a stranger to both. */
export async function trio(env: RoomsEnv) {
  const ann = await newUser(env, 'Ann');
  const ben = await newUser(env, 'Ben');
  const cat = await newUser(env, 'Cat');
  const conv = await befriend(env.api, ann, ben);
  return { ann, ben, cat, conv };
}

let tones: Buffer | undefined;
/** One of the user's own ready audio files (a 2 s tone). */
export async function audio(env: RoomsEnv, u: TestUser, name = 'song.wav'): Promise<string> {
  tones ??= await toneWav(2);
  return (await uploadOk(env.server.baseUrl, tokenOf(u), 'file', tones, name)).id;
}

export async function picture(env: RoomsEnv, u: TestUser): Promise<string> {
  return (await uploadOk(env.server.baseUrl, tokenOf(u), 'image', await noisyPng(20, 20), 'p.png')).id;
}

/** The stable error reason a call failed with ('resolved' when it did not fail). */
export async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectError);
    return errorInfoOf(err as ConnectError)?.reason ?? 'none';
  }
  return 'resolved';
}

let seq = 0;
export const cid = () => `r-${process.pid}-${++seq}`;
