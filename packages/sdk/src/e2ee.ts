/**
 * @mychat/sdk/e2ee: end-to-end encrypted chats (docs/security.md). A separate entry point, so
 * apps load it only when an encrypted chat opens: `new E2ee(client, { store })`. Runs in
 * browsers and in Node 20+ (WebCrypto), so a bot can hold an encrypted chat too.
 */
export { E2ee } from './e2ee-api.js';
export { MemoryKeyStore, type E2eeKeyStore } from './e2ee-keys.js';
/** For tests and diagnostics: which bodies a store's raw entries keep (e2ee-cache.ts). */
export { keptSeqsIn } from './e2ee-cache-format.js';
export { groupDigits, type SafetyNumber } from './e2ee-safety.js';
export type { KdfParams } from './e2ee-backup.js';
export {
  foldBasic,
  LOCAL_QUERY_MAX,
  searchEncryptedChat,
  type LocalHighlight,
  type LocalHit,
  type LocalSearchOptions,
  type LocalSearchSource,
  type LocalSearchStep,
} from './e2ee-search.js';
/** The primitives (docs/security.md, section 3), for benchmarks and other clients. */
export * as e2eeCrypto from './e2ee-crypto.js';

export type {
  E2eeEvents,
  E2eeOptions,
  E2eeStatus,
  Opened,
  OpenedBody,
  OpenFailure,
  SealedFileInfo,
} from './e2ee-types.js';
