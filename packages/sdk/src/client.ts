import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-web';
import { auth } from '@mychat/protocol';
import { AuthApi, type DeviceInfo } from './auth-api.js';
import { Emitter } from './events.js';
import { MemorySessionStore, type SessionStore, type StoredSession } from './session-store.js';

export interface MyChatClientOptions {
  /** Where MyChat runs, e.g. "https://chat.example.com" or "http://127.0.0.1:8080". */
  baseUrl: string;
  /** This installation. Defaults to a web client with a random id (pass a stable one). */
  device?: Partial<DeviceInfo>;
  /** Where the session is kept; in memory by default. */
  sessionStore?: SessionStore;
  /** Binary protobuf instead of JSON on the wire (smaller, faster). Default true. */
  binary?: boolean;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof globalThis.fetch;
}

/** Events the client emits. */
export interface MyChatEvents extends Record<string, unknown[]> {
  /** The session changed: signed in, token refreshed, signed out, or ended by the server. */
  session: [session: StoredSession | undefined, why: 'login' | 'refresh' | 'logout' | 'ended'];
}

/**
 * The MyChat client for browsers, Node and bots.
 *
 * ```ts
 * const client = new MyChatClient({ baseUrl: 'http://127.0.0.1:8080', device: { clientType: 'bot', deviceId: 'echo-1', name: 'Echo bot' } });
 * await client.auth.login({ to: { email: 'bot@example.com' }, password: '...' });
 * console.log(await client.auth.me());
 * ```
 */
export class MyChatClient extends Emitter<MyChatEvents> {
  readonly auth: AuthApi;

  constructor(readonly options: MyChatClientOptions) {
    super();
    const transport = createConnectTransport({
      baseUrl: options.baseUrl.replace(/\/$/, ''),
      useBinaryFormat: options.binary ?? true,
      ...(options.fetch && { fetch: options.fetch }),
    });
    const device: DeviceInfo = {
      clientType: options.device?.clientType ?? 'web',
      deviceId: options.device?.deviceId ?? randomId(),
      name: options.device?.name ?? 'MyChat client',
    };
    this.auth = new AuthApi(
      createClient(auth.AuthService, transport),
      options.sessionStore ?? new MemorySessionStore(),
      device,
      (s, why) => this.emit('session', s, why),
    );
  }
}

function randomId(): string {
  const b = new Uint8Array(12);
  globalThis.crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
