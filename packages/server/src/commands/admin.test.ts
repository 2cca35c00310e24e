import { auth } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../../test/helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../../test/helpers/test-server.js';
import { ConfigError } from '../kernel/config.js';
import { adminCommand } from './admin.js';

/**
 * `mychat admin create`: run in this process against the data dir (SQLite) of a server that
 * was stopped after an account signed up, as an operator would on a fresh install.
 */
describe('mychat admin create', () => {
  let server: TestServer;
  let dataDir: string;
  let email: string;
  let userId: string;
  beforeAll(async () => {
    server = await startTestServer();
    dataDir = server.dataDir;
    const s = await signUp(server, server.client(auth.AuthService), { nickname: 'Owner' });
    email = s.email;
    userId = s.session.user!.id;
    await server.app.stop();
  });
  afterAll(() => server.stop().catch(() => undefined));

  const run = async (sub: string | undefined, options: Record<string, string>) => {
    const lines: string[] = [];
    const code = await adminCommand(
      { sources: { env: {}, flags: { dataDir, 'log.level': 'silent' } }, out: (l) => lines.push(l) },
      sub,
      options,
    );
    return { code, out: lines.join('\n') };
  };

  /** The account's role, read back through auth on the same data dir. */
  const roleOf = async () => {
    const again = await startTestServer({ targets: ['auth'], overrides: { dataDir } });
    try {
      const dir = again.app.value('rpc').client(auth.UserDirectoryService);
      return (await dir.getAccounts({ userIds: [userId] })).accounts[0]?.role;
    } finally {
      await again.stop();
    }
  };

  it('gives an existing account the admin role, or the one named', async () => {
    const r = await run('create', { email: email.toUpperCase() });
    expect(r).toMatchObject({ code: 0 });
    expect(r.out).toContain(`user ${userId}`);
    expect(await roleOf()).toBe(2);
    expect((await run('create', { email, role: 'moderator' })).code).toBe(0);
    expect(await roleOf()).toBe(1);
  });

  it('exits 1 for an address with no account, and refuses bad usage', async () => {
    const r = await run('create', { email: 'nobody.here@example.com' });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/no account/);
    await expect(run('create', {})).rejects.toBeInstanceOf(ConfigError);
    await expect(run('create', { email, phone: '+8613800000000' })).rejects.toBeInstanceOf(ConfigError);
    await expect(run('create', { email, role: 'root' })).rejects.toBeInstanceOf(ConfigError);
    await expect(run('delete', { email })).rejects.toBeInstanceOf(ConfigError);
  });
});
