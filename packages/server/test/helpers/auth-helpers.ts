import { ConnectError } from '@connectrpc/connect';
import type { Client } from '@connectrpc/connect';
import { type auth } from '@mychat/protocol';
import { expect } from 'vitest';
import { errorInfoOf } from '../../src/kernel/errors.js';
import type { TestServer } from './test-server.js';

export type AuthClient = Client<typeof auth.AuthService>;

let seq = 0;
/** A fresh, valid address per call so tests never share an account. */
export function uniqueEmail(tag = 'user'): string {
  return `${tag}.${process.pid}.${Date.now().toString(36)}.${seq++}@example.com`;
}

export function uniquePhone(): string {
  return `+8613${String(process.pid % 1000).padStart(3, '0')}${String((Date.now() + seq++) % 1e6).padStart(6, '0')}`;
}

export const device = (clientType = 'web', deviceId = 'dev-1', name = 'Test browser') => ({
  clientType,
  deviceId,
  name,
});

export const PASSWORD = 'violet-harbour-47';

/** Expects the call to fail with the given stable reason (e.g. "CODE_EXPIRED"); returns the error. */
export async function expectReason(p: Promise<unknown>, reason: string): Promise<ConnectError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${reason}`).toBeInstanceOf(ConnectError);
  expect(errorInfoOf(err)?.reason, (err as Error).message).toBe(reason);
  return err as ConnectError;
}

/** Sends a register code, reads it from the outbox and registers. */
export async function signUp(
  server: TestServer,
  api: AuthClient,
  opts: { email?: string; password?: string; nickname?: string; clientType?: string; deviceId?: string } = {},
) {
  const email = opts.email ?? uniqueEmail();
  await api.sendVerificationCode({
    destination: { case: 'email', value: email },
    purpose: 'register',
    locale: 'en',
  });
  const code = await server.codeFor(email);
  const res = await api.register({
    destination: { case: 'email', value: email },
    code,
    password: opts.password ?? PASSWORD,
    nickname: opts.nickname ?? 'Tester',
    device: device(opts.clientType ?? 'web', opts.deviceId ?? 'dev-1'),
  });
  return { email, code, session: res.session! };
}

export const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
