import { MyChatClient } from '@mychat/sdk';
import { codeFromOutbox, procStats, startLocalServer } from './local-server.js';
import { summarize, type LatencySummary } from './stats.js';

export interface AuthResult {
  scenario: 'auth';
  users: number;
  concurrency: number;
  register_ms: LatencySummary;
  login_ms: LatencySummary;
  server: { cpu_s: number; rss_mib: number };
  argon2: { memory_kib: number; time_cost: number };
}

/**
 * Sign-up and login latency on the embedded profile (SQLite), argon2id at its production
 * parameters. Starts its own server; code sends and logins per IP are unthrottled for the run only.
 * Measures the Register and Login RPCs (not the time the mail takes to arrive).
 */
export async function runAuth(opts: { users: number; concurrency: number }): Promise<AuthResult> {
  const server = await startLocalServer({
    MYCHAT_AUTH_SEND_COOLDOWN_SECONDS: '0',
    MYCHAT_AUTH_SEND_PER_IP_PER_HOUR: '1000000',
    MYCHAT_AUTH_LOGIN_PER_IP_PER_WINDOW: '1000000',
    MYCHAT_AUTH_CODE_TRIES_PER_IP_PER_HOUR: '1000000',
  });
  const register: number[] = [];
  const login: number[] = [];
  const before = procStats(server.pid);
  let after = before;
  try {
    let next = 0;
    const worker = async () => {
      while (next < opts.users) {
        const i = next++;
        const email = `bench.${process.pid}.${i}@example.com`;
        const password = `bench-password-${i}-x`;
        const client = new MyChatClient({
          baseUrl: server.url,
          device: { clientType: 'bot', deviceId: `b${i}`, name: 'bench' },
        });
        await client.auth.sendCode({ email }, 'register');
        const code = await codeFromOutbox(server.dataDir, email);
        let t = performance.now();
        await client.auth.register({ to: { email }, code, password, nickname: `u${i}` });
        register.push(performance.now() - t);
        t = performance.now();
        await client.auth.login({ to: { email }, password });
        login.push(performance.now() - t);
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    after = procStats(server.pid);
  } finally {
    await server.stop();
  }
  return {
    scenario: 'auth',
    users: opts.users,
    concurrency: opts.concurrency,
    register_ms: summarize(register),
    login_ms: summarize(login),
    server: { cpu_s: Math.round((after.cpuSeconds - before.cpuSeconds) * 100) / 100, rss_mib: after.rssMiB },
    argon2: { memory_kib: 19456, time_cost: 2 },
  };
}
