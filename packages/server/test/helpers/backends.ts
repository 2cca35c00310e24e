import net from 'node:net';

/**
 * The real backends tests run against. On a developer's machine without one of these
 * services the tests that need it skip with a message; with CI=true a missing service
 * fails the run instead, so CI can never go green by skipping.
 */
export const backendUrls = {
  postgres: process.env.MYCHAT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  mysql: process.env.MYCHAT_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
  redis: process.env.MYCHAT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  nats: process.env.MYCHAT_TEST_NATS_URL ?? 'nats://127.0.0.1:4222',
};

export type Backend = keyof typeof backendUrls;

const reachable = new Map<Backend, Promise<boolean>>();

function probe(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Whether tests for `backend` should run. Throws under CI=true when the service is down.
 */
export async function backendAvailable(backend: Backend): Promise<boolean> {
  let p = reachable.get(backend);
  if (!p) {
    p = probe(backendUrls[backend]);
    reachable.set(backend, p);
  }
  const ok = await p;
  if (!ok) {
    const msg = `${backend} is not reachable at ${backendUrls[backend]}`;
    if (process.env.CI === 'true') throw new Error(`${msg} (CI=true: a missing service is a failure)`);
    console.warn(`skipping ${backend} tests: ${msg}`);
  }
  return ok;
}

/** A unique, valid identifier for one test run's database or key prefix. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6).toString(36)}`;
}
