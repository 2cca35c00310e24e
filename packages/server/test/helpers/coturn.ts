import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { tryAllocate } from './turn-client.js';

/** Whether Debian's coturn (`turnserver`) is installed. */
export const hasCoturn = spawnSync('turnserver', ['--help']).error === undefined;

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
 * A coturn on loopback with the TURN REST scheme (use-auth-secret) and `secret`, relaying to
 * loopback peers too (both browsers of a test are on this machine). Resolves once it answers.
 */
export async function startCoturn(
  secret: string,
): Promise<{ port: number; stop(): void; process: ChildProcess }> {
  const port = await freePort();
  const relay = 40000 + (port % 20000);
  const child = spawn(
    'turnserver',
    [
      '-n',
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      `--listening-port=${port}`,
      `--min-port=${relay}`,
      `--max-port=${relay + 40}`,
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
  for (let i = 0; i < 50; i++) {
    const r = await tryAllocate(port, 'probe', 'x', 200).catch(() => undefined);
    if (r !== undefined) break;
  }
  return { port, process: child, stop: () => child.kill() };
}
