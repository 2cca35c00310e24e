import type { Client } from '@connectrpc/connect';
import { auth, contacts, message } from '@mychat/protocol';
import { expect } from 'vitest';
import type { Clock } from '../../src/kernel/clock.js';
import { backendAvailable, backendUrls, uniqueName } from './backends.js';
import { bearer, signUp, uniqueEmail, type AuthClient } from './auth-helpers.js';
import { startFakeMessagePeer, type FakeMessagePeer } from './fake-message-peer.js';
import { createTestDatabaseUrl, dropTestDatabase } from './sql-databases.js';
import { startTestServer, type TestServer } from './test-server.js';

export type ContactsClient = Client<typeof contacts.ContactsService>;
export type MessageClient = Client<typeof message.MessageService>;

/**
 * Where contacts system tests run: every module on each SQL engine (the real message
 * service), plus one split setup where contacts talks gRPC to a fake message peer that
 * records what it is told.
 */
export interface ContactsSetup {
  name: string;
  engine: 'sqlite' | 'mysql' | 'postgres';
  redis: boolean;
  fakeMessage: boolean;
}

export const CONTACTS_SETUPS: readonly ContactsSetup[] = [
  { name: 'SQLite + memory kv', engine: 'sqlite', redis: false, fakeMessage: false },
  { name: 'MariaDB + Redis', engine: 'mysql', redis: true, fakeMessage: false },
  { name: 'PostgreSQL + Redis', engine: 'postgres', redis: true, fakeMessage: false },
  { name: 'SQLite, message service as a gRPC fake', engine: 'sqlite', redis: false, fakeMessage: true },
];

export async function setupAvailable(s: ContactsSetup): Promise<boolean> {
  return (
    (s.engine === 'sqlite' || (await backendAvailable(s.engine))) &&
    (!s.redis || (await backendAvailable('redis')))
  );
}

export interface ContactsEnv {
  server: TestServer;
  api: ContactsClient;
  authApi: AuthClient;
  messages: MessageClient;
  /** Set in the fake-message setup. */
  fake: FakeMessagePeer | undefined;
  stop(): Promise<void>;
}

export async function startContactsEnv(
  s: ContactsSetup,
  overrides: Record<string, unknown> = {},
  clock?: Clock,
): Promise<ContactsEnv> {
  const sqlUrl = s.engine === 'sqlite' ? undefined : await createTestDatabaseUrl(s.engine);
  const fake = s.fakeMessage ? await startFakeMessagePeer() : undefined;
  const server = await startTestServer({
    sqlUrl,
    redisUrl: s.redis ? backendUrls.redis : undefined,
    redisPrefix: uniqueName('contacts') + ':',
    clock,
    ...(fake && { targets: ['gateway', 'auth', 'contacts'] }),
    overrides: {
      // These suites sign up many users from one IP.
      auth: { sendPerIpPerHour: 1_000_000, codeTriesPerIpPerHour: 1_000_000, loginPerIpPerWindow: 1_000_000 },
      ...overrides,
      // The whole rpc group is replaced here: keep port 0 (else 8081, a running MyChat's port).
      ...(fake && { rpc: { port: 0, peers: { message: fake.url } } }),
    },
  });
  return {
    server,
    api: server.client(contacts.ContactsService),
    authApi: server.client(auth.AuthService),
    messages: server.client(message.MessageService),
    fake,
    async stop() {
      await server.stop();
      await fake?.stop();
      if (sqlUrl) await dropTestDatabase(sqlUrl);
    },
  };
}

/** A signed-up user and the call options that authenticate as them. */
export interface TestUser {
  id: string;
  email: string;
  nickname: string;
  sessionId: string;
  h: ReturnType<typeof bearer>;
}

export async function newUser(
  env: ContactsEnv,
  nickname = 'Tester',
  email = uniqueEmail(),
): Promise<TestUser> {
  const { session } = await signUp(env.server, env.authApi, { nickname, email });
  return {
    id: session.user!.id,
    email,
    nickname,
    sessionId: session.sessionId,
    h: bearer(session.accessToken),
  };
}

/** Makes two users friends through the public API; returns their conversation id. */
export async function befriend(api: ContactsClient, a: TestUser, b: TestUser): Promise<string> {
  const sent = await api.sendFriendRequest({ userId: b.id, note: '' }, a.h);
  const res = await api.respondFriendRequest({ requestId: sent.request!.id, action: 'accept' }, b.h);
  expect(res.conversationId).toMatch(/^\d+$/);
  return res.conversationId;
}

/** The ids of a user's friends. */
export async function friendIds(api: ContactsClient, u: TestUser): Promise<string[]> {
  return (await api.listFriends({}, u.h)).friends.map((f) => f.user!.id).sort();
}

let msgSeq = 0;
/** Sends a text as `u` in a conversation (the message service decides whether they may). */
export function sendText(env: ContactsEnv, u: TestUser, conversationId: string, text = 'hello') {
  return env.messages.sendMessage(
    {
      conversationId,
      clientMsgId: `c-${process.pid}-${msgSeq++}`,
      content: { body: { case: 'text', value: { text } } },
    },
    u.h,
  );
}
