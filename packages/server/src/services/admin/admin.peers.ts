import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { admin as pb, type auth } from '@mychat/protocol';
import type { Bus } from '../../adapters/bus/bus.js';
import type { Kv } from '../../adapters/kv/kv.js';
import type { Clock } from '../../kernel/clock.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Logger } from '../../kernel/logger.js';
import type { Peers } from '../../wiring/peers.js';
import type { ConsoleAccess } from './admin.access.js';
import type { DashboardMetrics } from './admin.dashboard.js';
import type { AdminRepository } from './admin.repository.js';

/** The services the console calls (docs/architecture.md). */
export type AdminPeers = Peers<
  'auth' | 'contacts' | 'message' | 'media' | 'moments' | 'square' | 'push' | 'keys' | 'rooms' | 'calls'
>;

/** What every part of the admin service shares. */
export interface AdminParts {
  peers: AdminPeers;
  access: ConsoleAccess;
  repo: AdminRepository;
  dashboard: DashboardMetrics;
  kv: Kv;
  bus: Bus;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
}

/** An account from auth's answer, as the console shows it. */
export function accountMsg(a: auth.AccountStatus): pb.Account {
  const u = a.user;
  return create(pb.AccountSchema, {
    id: u?.id ?? '',
    nickname: u?.nickname ?? '',
    email: u?.email ?? '',
    phone: u?.phone ?? '',
    ...(u?.createdAt && { createdAt: u.createdAt }),
    role: a.role,
    disabled: a.disabled,
    sessions: a.liveSessions,
  });
}

export const ts = (ms: number | null | undefined) => (ms ? timestampFromMs(ms) : undefined);
