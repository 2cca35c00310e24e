// Placeholder replaced by the contacts service implementation.
import type { Bus } from '../../adapters/bus/bus.js';
import type { Kv } from '../../adapters/kv/kv.js';
import type { SqlDatabase } from '../../adapters/sql/sql.js';
import type { Clock } from '../../kernel/clock.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Logger } from '../../kernel/logger.js';
import type { ModuleInstance } from '../../kernel/module-graph.js';
import type { RpcHub } from '../../rpc/rpc-hub.js';
import type { contactsConfigSchema } from './contacts.config.js';

export interface ContactsModuleDeps {
  sql: SqlDatabase;
  kv: Kv;
  bus: Bus;
  rpc: RpcHub;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
  config: ReturnType<(typeof contactsConfigSchema)['parse']>;
}

export async function initContacts(_d: ContactsModuleDeps): Promise<ModuleInstance<void>> {
  return { value: undefined };
}
