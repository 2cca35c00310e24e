import { admin as pb } from '@mychat/protocol';
import type { Registry } from 'prom-client';
import type { Bus } from '../../adapters/bus/bus.js';
import type { Kv } from '../../adapters/kv/kv.js';
import type { SqlDatabase } from '../../adapters/sql/sql.js';
import type { Clock } from '../../kernel/clock.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Logger } from '../../kernel/logger.js';
import { serves, type ServiceInstance } from '../../rpc/rpc-impl.js';
import { ConsoleAccess } from './admin.access.js';
import type { AdminConfig } from './admin.config.js';
import { DashboardMetrics } from './admin.dashboard.js';
import { adminMigrations } from './admin.migrations.js';
import type { AdminParts, AdminPeers } from './admin.peers.js';
import { SquareReportsCatchUp } from './admin.square-reports.js';
import { AdminRepository } from './admin.repository.js';
import { adminInternalRpc, adminReportsRpc, Reports, safetyRpc } from './admin.reports.rpc.js';
import { adminStickersRpc } from './admin.stickers.rpc.js';
import { adminUsersRpc } from './admin.users.rpc.js';

export interface AdminModuleDeps {
  sql: SqlDatabase;
  kv: Kv;
  /** System notices go to every gateway's open sockets. */
  bus: Bus;
  metrics: Registry;
  /**
   * Accounts and roles (auth), groups and contacts (contacts), messages, storage (media), the
   * square's posts (square).
   */
  peers: AdminPeers;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
  config: AdminConfig;
}

/**
 * The operator's console: AdminService (operators only), SafetyService (every user: reports
 * and notices) and AdminInternalService (other services file reports). Whether the gateway
 * exposes AdminService is the gateway's `admin.enabled` check.
 */
export async function initAdmin(d: AdminModuleDeps): Promise<ServiceInstance<void>> {
  await d.sql.migrate('admin', adminMigrations);
  const repo = new AdminRepository(d.sql);
  const access = new ConsoleAccess({
    directory: d.peers.auth.directory,
    kv: d.kv,
    repo,
    ids: d.ids,
    clock: d.clock,
    stepUpMs: d.config.stepUpSeconds * 1000,
  });
  const dashboard = new DashboardMetrics(d.metrics, () => d.clock.now());
  const parts: AdminParts = {
    peers: d.peers,
    access,
    repo,
    dashboard,
    kv: d.kv,
    bus: d.bus,
    ids: d.ids,
    clock: d.clock,
    logger: d.logger,
  };
  const reports = new Reports(parts);
  const squareReports = new SquareReportsCatchUp(parts, reports, d.config.squareReportsPollSeconds * 1000);
  return {
    value: undefined,
    rpc: [
      serves(pb.AdminService, {
        ...adminUsersRpc(parts),
        ...adminReportsRpc(parts),
        ...adminStickersRpc(parts),
      }),
      serves(pb.SafetyService, safetyRpc(parts, reports)),
      serves(pb.AdminInternalService, adminInternalRpc(reports)),
    ],
    start: async () => {
      await squareReports.start();
      dashboard.start();
    },
    stop: async () => {
      await squareReports.stop();
      dashboard.stop();
    },
  };
}
