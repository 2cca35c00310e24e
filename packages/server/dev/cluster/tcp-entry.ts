import net from 'node:net';

/** A running round-robin entry. */
export interface TcpEntry {
  port: number;
  /** Drops every connection passing through now (a network cut); new ones are accepted. */
  cut(): void;
  /** Drops every connection and refuses new ones until `resume` (a partition). */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

/**
 * The smallest load balancer that works for MyChat: a TCP round-robin over the gateways
 * (HTTP and WebSocket both pass through untouched). A backend that refuses the connection
 * is skipped for this client, who goes to the next one, so a dead gateway costs nothing but
 * a failed connect. Used by the loopback cluster when nginx is not installed, and by tests
 * as a cable they can cut (`cut`, `pause`).
 */
export async function startTcpEntry(opts: {
  host: string;
  port: number;
  backends: readonly { host: string; port: number }[];
}): Promise<TcpEntry> {
  let next = 0;
  let paused = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (paused) return void client.destroy();
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.pause();
    const tryBackend = (attempt: number) => {
      if (attempt >= opts.backends.length) return void client.destroy();
      const b = opts.backends[next++ % opts.backends.length]!;
      const upstream = net.connect({ host: b.host, port: b.port });
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      const failed = () => tryBackend(attempt + 1);
      upstream.once('error', failed);
      upstream.once('connect', () => {
        upstream.off('error', failed);
        upstream.setNoDelay(true);
        client.setNoDelay(true);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
        // Either side going away ends the other: a killed gateway drops its clients at once.
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.on('close', () => upstream.destroy());
      });
    };
    tryBackend(0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      for (const s of sockets) s.destroy();
    },
    pause() {
      paused = true;
      for (const s of sockets) s.destroy();
    },
    resume() {
      paused = false;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
