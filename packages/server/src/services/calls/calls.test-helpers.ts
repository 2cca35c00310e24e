/**
 * Helpers of the calls system tests: a server on one of the engines with a manual clock,
 * friends with sockets (a second device logs in with the same account), and the frames.
 */
import type { Client } from '@connectrpc/connect';
import { calls, type gateway } from '@mychat/protocol';
import { device, PASSWORD } from '../../../test/helpers/auth-helpers.js';
import { bearer } from '../../../test/helpers/auth-helpers.js';
import {
  newUser,
  startContactsEnv,
  type ContactsEnv,
  type ContactsSetup,
  type TestUser,
} from '../../../test/helpers/contacts-helpers.js';
import { manualClock } from '../../kernel/clock.js';
import { connectAuthed, type TestSocket } from '../../gateway/ws/ws.test-helpers.js';
import type { CallsService } from './calls.service.js';

export const CALL_SETUPS: readonly ContactsSetup[] = [
  { name: 'SQLite + memory kv', engine: 'sqlite', redis: false, fakeMessage: false },
  { name: 'MariaDB + Redis', engine: 'mysql', redis: true, fakeMessage: false },
  { name: 'PostgreSQL + Redis', engine: 'postgres', redis: true, fakeMessage: false },
];

export interface CallsEnv extends ContactsEnv {
  calls: Client<typeof calls.CallsService>;
  clock: ReturnType<typeof manualClock>;
  service: CallsService;
}

export async function startCallsEnv(
  setup: ContactsSetup,
  overrides: Record<string, unknown> = {},
): Promise<CallsEnv> {
  // Starts at the wall clock: the Connect edge judges a token's expiry by the wall clock, so a
  // clock fixed at a date would expire every token once that date is an access-token TTL behind.
  const clock = manualClock();
  const env = await startContactsEnv(setup, overrides, clock);
  return {
    ...env,
    calls: env.server.client(calls.CallsService),
    clock,
    service: env.server.app.value('calls'),
  };
}

/** A user's device: its session's call options and an authenticated socket. */
export interface Device {
  user: TestUser;
  sessionId: string;
  h: ReturnType<typeof bearer>;
  socket: TestSocket;
}

export async function deviceOf(env: CallsEnv, user: TestUser): Promise<Device> {
  const token = user.h.headers.authorization.slice('Bearer '.length);
  return { user, sessionId: user.sessionId, h: user.h, socket: await connectAuthed(env.server, token) };
}

/** The same account on another device (a new session). */
export async function secondDevice(env: CallsEnv, user: TestUser, deviceId = 'phone-2'): Promise<Device> {
  const r = await env.authApi.login({
    destination: { case: 'email', value: user.email },
    credential: { case: 'password', value: PASSWORD },
    device: device('android', deviceId, 'Phone'),
  });
  const s = r.session!;
  return {
    user,
    sessionId: s.sessionId,
    h: bearer(s.accessToken),
    socket: await connectAuthed(env.server, s.accessToken),
  };
}

export async function users(env: CallsEnv, ...names: string[]): Promise<TestUser[]> {
  const out: TestUser[] = [];
  for (const n of names) out.push(await newUser(env, n));
  return out;
}

/** The next call_event push of `kind` on a device. */
export async function nextEvent(d: Device, kind: string, timeoutMs = 3000): Promise<calls.CallEvent> {
  const { frame } = await d.socket.next(
    (f) => f.requestId === 0 && f.body.case === 'callEvent' && f.body.value.kind === kind,
    timeoutMs,
  );
  return (frame.body as { case: 'callEvent'; value: calls.CallEvent }).value;
}

/** The next call_signal push on a device. */
export async function nextSignal(d: Device): Promise<calls.CallSignal> {
  const { frame } = await d.socket.next((f) => f.body.case === 'callSignal');
  return (frame.body as { case: 'callSignal'; value: calls.CallSignal }).value;
}

/** Sends a frame and waits for its answer. */
let rid = 100;
export async function request(
  d: Device,
  body: Parameters<TestSocket['send']>[0]['body'],
): Promise<gateway.ServerFrame> {
  const requestId = ++rid;
  d.socket.send({ requestId, body });
  return (await d.socket.next((f) => f.requestId === requestId)).frame;
}

export const closeAll = (...ds: Device[]) => ds.forEach((d) => d.socket.ws.close());
