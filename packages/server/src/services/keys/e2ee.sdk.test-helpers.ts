import { auth } from '@mychat/protocol';
import { MyChatClient, type ClientType } from '@mychat/sdk';
import { E2ee, MemoryKeyStore } from '@mychat/sdk/e2ee';
import { afterAll, beforeAll } from 'vitest';
import { PASSWORD, signUp } from '../../../test/helpers/auth-helpers.js';
import {
  setupAvailable,
  startContactsEnv,
  type ContactsEnv,
  type ContactsSetup,
} from '../../../test/helpers/contacts-helpers.js';

/** Cheap Argon2id for tests (the default is 64 MiB, 3 passes). */
export const KDF = { memoryKiB: 8 * 1024, iterations: 1 };
export const PASSPHRASE = 'correct horse battery';

/**
 * One server on `setup` for a describe block of encrypted-chat tests through the SDK (started
 * in beforeAll, stopped with every client in afterAll), with the block's ways to make
 * accounts, devices and friends. `available` is false where the setup's backends are missing.
 */
export function e2eeSdkEnv(setup: ContactsSetup) {
  let env: ContactsEnv | undefined;
  let available = true;
  const clients: MyChatClient[] = [];
  let n = 0;
  beforeAll(async () => {
    available = await setupAvailable(setup);
    if (available)
      env = await startContactsEnv(setup, { message: { sendBurst: 1000, sendRatePerSecond: 1000 } });
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) await c.close();
    await env?.stop();
  });

  const t = {
    get env(): ContactsEnv {
      if (!env) throw new Error('the server is not running');
      return env;
    },
    get available() {
      return available;
    },
    /** A new account; its email. */
    account: async (nickname: string) =>
      (await signUp(t.env.server, t.env.server.client(auth.AuthService), { nickname })).email,
    /** A device id not used before in this block. */
    deviceId: () => `e${++n}`,
    /** Closes `c` after the block. */
    track(c: MyChatClient) {
      clients.push(c);
      return c;
    },
    /** A client of a new device, signed in and connected; closed after the block. */
    async client(email: string, clientType: ClientType = 'pc') {
      const c = t.track(
        new MyChatClient({
          baseUrl: t.env.server.baseUrl,
          device: { clientType, deviceId: t.deviceId(), name: 'vitest' },
        }),
      );
      const me = await c.auth.login({ to: { email }, password: PASSWORD });
      await c.connect();
      return { id: me.id, c };
    },
    /**
     * One device: its client and encrypted-chat keys (fetched keys never cached), the keys and
     * kept bodies in `map`. An account's devices differ in type (one session per type stays).
     */
    async device(email: string, clientType: ClientType = 'pc') {
      const { id, c } = await t.client(email, clientType);
      const map = new Map<string, unknown>();
      const e2ee = new E2ee(c, { store: new MemoryKeyStore(map), kdf: KDF, keysTtlMs: 0 });
      return { id, c, e2ee, map };
    },
    async friends(a: { id: string; c: MyChatClient }, b: { id: string; c: MyChatClient }) {
      const { request } = await a.c.contacts.request(b.id);
      await b.c.contacts.respond(request.id, 'accept');
    },
  };
  return t;
}
