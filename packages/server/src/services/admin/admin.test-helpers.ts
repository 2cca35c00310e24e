/**
 * Helpers of the console's system tests: a server (every module) on one of the engines, an
 * operator made through auth's own RPC (as `mychat admin create` does), and step-up.
 */
import type { Client } from '@connectrpc/connect';
import { admin, auth } from '@mychat/protocol';
import {
  newUser,
  startContactsEnv,
  type ContactsEnv,
  type ContactsSetup,
  type TestUser,
} from '../../../test/helpers/contacts-helpers.js';
import { PASSWORD } from '../../../test/helpers/auth-helpers.js';

export type AdminClient = Client<typeof admin.AdminService>;

export interface AdminEnv extends ContactsEnv {
  console: AdminClient;
  safety: Client<typeof admin.SafetyService>;
  directory: Client<typeof auth.UserDirectoryService>;
}

export const ADMIN_SETUPS: readonly ContactsSetup[] = [
  { name: 'SQLite + memory kv', engine: 'sqlite', redis: false, fakeMessage: false },
  { name: 'MariaDB + Redis', engine: 'mysql', redis: true, fakeMessage: false },
  { name: 'PostgreSQL + Redis', engine: 'postgres', redis: true, fakeMessage: false },
];

export async function startAdminEnv(
  setup: ContactsSetup,
  overrides: Record<string, unknown> = {},
): Promise<AdminEnv> {
  const env = await startContactsEnv(setup, overrides);
  return {
    ...env,
    console: env.server.client(admin.AdminService),
    safety: env.server.client(admin.SafetyService),
    directory: env.server.app.value('rpc').client(auth.UserDirectoryService),
  };
}

/** A new account with the given console role (2 admin, 1 moderator). */
export async function operator(env: AdminEnv, nickname: string, role = 2): Promise<TestUser> {
  const u = await newUser(env, nickname);
  await env.directory.setAccountRole({ userId: u.id, role });
  return u;
}

/** Confirms the operator's password (step-up) for the next destructive actions. */
export async function stepUp(env: AdminEnv, u: TestUser): Promise<void> {
  await env.console.confirmPassword({ password: PASSWORD }, u.h);
}

export { newUser, PASSWORD, type TestUser };
