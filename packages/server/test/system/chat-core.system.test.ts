import { backendAvailable, backendUrls, uniqueName } from '../helpers/backends.js';
import { chatCoreSuite } from '../helpers/chat-core.suite.js';
import { createTestDatabaseUrl, dropTestDatabase } from '../helpers/sql-databases.js';
import { startTestServer } from '../helpers/test-server.js';

/** The chat core, all-in-one, on each SQL engine (with Redis for kv and bus beside the real ones). */
const setups = [
  { name: 'SQLite + memory (all-in-one)', engine: 'sqlite' as const, redis: false },
  { name: 'MariaDB + Redis (all-in-one)', engine: 'mysql' as const, redis: true },
  { name: 'PostgreSQL + Redis (all-in-one)', engine: 'postgres' as const, redis: true },
];

for (const s of setups) {
  const ok =
    (s.engine === 'sqlite' || (await backendAvailable(s.engine))) &&
    (!s.redis || (await backendAvailable('redis')));
  if (!ok) continue;
  chatCoreSuite(s.name, async () => {
    const sqlUrl = s.engine === 'sqlite' ? undefined : await createTestDatabaseUrl(s.engine);
    const server = await startTestServer({
      sqlUrl,
      redisUrl: s.redis ? backendUrls.redis : undefined,
      redisPrefix: uniqueName('chat') + ':',
      overrides: {
        auth: { sendPerIpPerHour: 100_000, codeTriesPerIpPerHour: 100_000, loginPerIpPerWindow: 100_000 },
        message: { sendBurst: 1000, sendRatePerSecond: 1000 },
        ws: { presenceDebounceMs: 200 },
      },
    });
    return {
      baseUrl: server.baseUrl,
      codeFor: (email) => server.codeFor(email),
      stop: async () => {
        await server.stop();
        if (sqlUrl) await dropTestDatabase(sqlUrl);
      },
    };
  });
}
