// Placeholder replaced by the message service implementation.
import type { Bus } from '../../adapters/bus/bus.js';
import type { Kv } from '../../adapters/kv/kv.js';
import type { SqlDatabase } from '../../adapters/sql/sql.js';
import type { Clock } from '../../kernel/clock.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Logger } from '../../kernel/logger.js';
import type { ModuleInstance } from '../../kernel/module-graph.js';
import type { RpcHub } from '../../rpc/rpc-hub.js';
import type { Registry } from 'prom-client';
import type { messageConfigSchema } from './message.config.js';

export interface MessageModuleDeps {
  sql: SqlDatabase;
  kv: Kv;
  bus: Bus;
  rpc: RpcHub;
  metrics: Registry;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
  config: ReturnType<(typeof messageConfigSchema)['parse']>;
}

export async function initMessage(_d: MessageModuleDeps): Promise<ModuleInstance<void>> {
  return { value: undefined };
}
