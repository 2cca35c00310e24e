import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tryAllocate } from '../../../test/helpers/turn-client.js';
import { turnCredential } from './calls.turn.js';

const hasCoturn = spawnSync('turnserver', ['--help']).error === undefined;

/** A free UDP port on loopback. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * The credentials MyChat mints against a real coturn (Debian's `turnserver`) configured with
 * use-auth-secret: a fresh one allocates a relay, an expired one, another user's password, or
 * one minted with another secret are refused with 401.
 */
describe.skipIf(!hasCoturn)('TURN credentials against coturn', () => {
  const secret = 'calls-test-secret-7f3a';
  let port = 0;
  let coturn: ChildProcess;

  beforeAll(async () => {
    port = await freePort();
    const relay = 40000 + (port % 20000);
    coturn = spawn(
      'turnserver',
      [
        '-n',
        '--listening-ip=127.0.0.1',
        '--relay-ip=127.0.0.1',
        `--listening-port=${port}`,
        `--min-port=${relay}`,
        `--max-port=${relay + 20}`,
        '--use-auth-secret',
        `--static-auth-secret=${secret}`,
        '--realm=mychat.test',
        '--no-tls',
        '--no-dtls',
        '--no-cli',
        '--allow-loopback-peers',
        '--log-file=stdout',
      ],
      { stdio: 'ignore' },
    );
    // Ready when it answers an Allocate at all (401 without credentials).
    for (let i = 0; i < 50; i++) {
      const r = await tryAllocate(port, 'probe', 'x', 200).catch(() => undefined);
      if (r !== undefined) break;
    }
  });
  afterAll(() => {
    coturn?.kill();
  });

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
