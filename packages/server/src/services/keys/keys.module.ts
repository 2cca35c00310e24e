import { keys as pb } from '@mychat/protocol';
import type { SqlDatabase } from '../../adapters/sql/sql.js';
import { purgeUserRpc } from '../../adapters/sql/user-rows.js';
import type { Clock } from '../../kernel/clock.js';
import type { Logger } from '../../kernel/logger.js';
import { serves, type ServiceInstance } from '../../rpc/rpc-impl.js';
import type { KeysConfig } from './keys.config.js';
import { keysMigrations } from './keys.migrations.js';
import { KeysRepository } from './keys.repository.js';
import { keysRpc } from './keys.rpc.js';
import { KeysService } from './keys.service.js';

export interface KeysModuleDeps {
  sql: SqlDatabase;
  clock: Clock;
  logger: Logger;
  config: KeysConfig;
}

/** Builds the keys service (encrypted chats' public keys), migrates its tables, returns KeysService. */
export async function initKeys(d: KeysModuleDeps): Promise<ServiceInstance<void>> {
  await d.sql.migrate('keys', keysMigrations);
  const service = new KeysService({ repo: KeysRepository.of(d.sql), ...d });
  return {
    value: undefined,
    rpc: [
      serves(pb.KeysService, keysRpc(service)),
      serves(
        pb.KeysInternalService,
        purgeUserRpc(d.sql, ['keys_devices', 'keys_backups', 'keys_identities']),
      ),
    ],
  };
}
