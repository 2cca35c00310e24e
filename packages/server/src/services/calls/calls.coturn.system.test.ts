import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasCoturn, startCoturn } from '../../../test/helpers/coturn.js';
import { tryAllocate } from '../../../test/helpers/turn-client.js';
import { turnCredential } from './calls.turn.js';

/**
 * The credentials MyChat mints against a real coturn (Debian's `turnserver`) configured with
 * use-auth-secret: a fresh one allocates a relay, an expired one, another user's password, or
 * one minted with another secret are refused with 401.
 */
describe.skipIf(!hasCoturn)('TURN credentials against coturn', () => {
  const secret = 'calls-test-secret-7f3a';
  let port = 0;
  let coturn: { stop(): void } | undefined;

  beforeAll(async () => {
    const t = await startCoturn(secret);
    port = t.port;
    coturn = t;
  });
  afterAll(() => coturn?.stop());

  it('accepts a fresh credential and refuses an expired or forged one', async () => {
    const now = Date.now();
    const fresh = turnCredential(secret, '123456789', now, 600);
    expect(await tryAllocate(port, fresh.username, fresh.credential)).toBe('ok');
    const expired = turnCredential(secret, '123456789', now - 3_600_000, 600);
    expect(await tryAllocate(port, expired.username, expired.credential)).toBe(401);
    const otherSecret = turnCredential('not-the-secret', '123456789', now, 600);
    expect(await tryAllocate(port, otherSecret.username, otherSecret.credential)).toBe(401);
    // Another user's password for this username: the HMAC covers the user id.
    const mallory = turnCredential(secret, '999', now, 600);
    expect(await tryAllocate(port, `${fresh.username.split(':')[0]}:999`, fresh.credential)).toBe(401);
    expect(await tryAllocate(port, mallory.username, mallory.credential)).toBe('ok');
  });
});
