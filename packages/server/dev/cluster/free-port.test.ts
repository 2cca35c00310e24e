import fs from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from './cluster.js';

const rangeFile = '/proc/sys/net/ipv4/ip_local_port_range';

describe('freePort', () => {
  it('gives ports one can listen on', async () => {
    const ports = await Promise.all(Array.from({ length: 5 }, () => freePort()));
    for (const port of ports) {
      const s = net.createServer();
      await new Promise<void>((resolve, reject) =>
        s.once('error', reject).listen(port, '127.0.0.1', resolve),
      );
      await new Promise((r) => s.close(r));
    }
  });

  it.skipIf(!fs.existsSync(rangeFile))(
    'stays below the ephemeral range, where client sockets take their ports',
    async () => {
      const low = Number(fs.readFileSync(rangeFile, 'utf8').trim().split(/\s+/)[0]);
      for (let i = 0; i < 20; i++) {
        const port = await freePort();
        expect(port).toBeGreaterThanOrEqual(10_000);
        expect(port).toBeLessThan(low);
      }
    },
  );

  it.skipIf(!fs.existsSync(rangeFile))(
    'never gives the same port twice (none is listened on yet)',
    async () => {
      // A cluster asks for 30 and more ports before its processes listen on them: 500 draws from
      // the ~20 000 ports below the ephemeral range repeat a few times unless it remembers them.
      const ports: number[] = [];
      for (let i = 0; i < 500; i++) ports.push(await freePort());
      expect(new Set(ports).size).toBe(ports.length);
    },
  );
});
