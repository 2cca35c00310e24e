import { startCluster } from '@mychat/server/dev/cluster';
import { backendAvailable, backendUrls } from '../helpers/backends.js';
import { chatCoreSuite } from '../helpers/chat-core.suite.js';
import { clusterTestEnv } from '../helpers/cluster-env.js';

/**
 * The chat core again, split: auth, contacts and message each in their own process, two
 * gateways behind a round-robin entry (nginx when installed), PostgreSQL and Redis. The same
 * suite as all-in-one (chat-core.system.test.ts), through the same SDK.
 */
if ((await backendAvailable('postgres')) && (await backendAvailable('redis'))) {
  chatCoreSuite('loopback cluster on PostgreSQL + Redis', async () => {
    const cluster = await startCluster({
      sql: backendUrls.postgres,
      redisUrl: backendUrls.redis,
      env: clusterTestEnv,
    });
    return {
      baseUrl: cluster.baseUrl,
      codeFor: (email) => cluster.codeFor(email),
      stop: () => cluster.stop(),
    };
  });
}
