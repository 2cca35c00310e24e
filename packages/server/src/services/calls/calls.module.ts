import { calls as pb } from '@mychat/protocol';
import type { Bus } from '../../adapters/bus/bus.js';
import type { Kv } from '../../adapters/kv/kv.js';
import type { SqlDatabase } from '../../adapters/sql/sql.js';
import { purgeUserRpc } from '../../adapters/sql/user-rows.js';
import type { Clock } from '../../kernel/clock.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Logger } from '../../kernel/logger.js';
import { serves, type ServiceInstance } from '../../rpc/rpc-impl.js';
import type { Peers } from '../../wiring/peers.js';
import type { CallsConfig } from './calls.config.js';
import { CallHistoryRepository, callsMigrations } from './calls.history.repository.js';
import { CallMessages, CallPush } from './calls.peers.js';
import { callsRpc } from './calls.rpc.js';
import { CallsService } from './calls.service.js';
import { CallStore } from './calls.store.js';

export interface CallsModuleDeps {
  sql: SqlDatabase;
  kv: Kv;
  bus: Bus;
  /** Who may call in a conversation, and the call's record in it (message). */
  peers: Peers<'message'>;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
  config: CallsConfig;
}

/**
 * Builds the calls service (signalling, TURN credentials, history) and migrates its table.
 * Calls' state lives in the key-value store, so any number of processes may run it.
 */
export async function initCalls(d: CallsModuleDeps): Promise<ServiceInstance<CallsService>> {
  if (d.config.turnUrls.length && !d.config.turnSecret)
    d.logger.warn('calls.turnUrls is set without calls.turnSecret: no TURN server is handed out');
  await d.sql.migrate('calls', callsMigrations);
  const history = new CallHistoryRepository(d.sql);
  const service = new CallsService({
    store: new CallStore(d.kv),
    history,
    messages: new CallMessages(d.peers.message.internal),
    push: new CallPush(d.bus, d.logger),
    kv: d.kv,
    ids: d.ids,
    clock: d.clock,
    logger: d.logger,
    config: d.config,
  });
  return {
    value: service,
    rpc: [
      serves(pb.CallsService, callsRpc({ service, history, config: d.config, now: () => d.clock.now() })),
      serves(pb.CallsInternalService, purgeUserRpc(d.sql, ['calls_history'])),
    ],
    stop: async () => service.stop(),
  };
}
