import { cfg } from '../../kernel/config.js';

/** The keys module's settings (`keys.*`, MYCHAT_KEYS_*): encrypted chats' public keys. */
export const keysConfigSchema = cfg.group({
  /** Most devices (the backup key included) one account may register (E2EE_TOO_MANY_DEVICES past it). */
  maxDevices: cfg.int(16, 2, 64),
});

export type KeysConfig = ReturnType<(typeof keysConfigSchema)['parse']>;
