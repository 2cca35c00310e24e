/**
 * @mychat/sdk: the one MyChat client for browsers, Node, bots and the load tester.
 */
export { MyChatClient, type MyChatClientOptions, type MyChatEvents } from './client.js';
export {
  AuthApi,
  type ClientType,
  type CodePurpose,
  type Destination,
  type DeviceInfo,
  type DeviceSession,
  type Profile,
} from './auth-api.js';
export { MyChatError } from './errors.js';
export { MemorySessionStore, type SessionStore, type StoredSession } from './session-store.js';
