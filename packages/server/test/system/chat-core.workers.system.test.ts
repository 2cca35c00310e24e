import { chatCoreSuite } from '../helpers/chat-core.suite.js';
import { startWorkersServer } from '../../src/workers/workers.test-helpers.js';

/**
 * The chat core once more, all-in-one on SQLite but with two socket workers
 * (`mychat serve --workers=2`): the SDK's sockets and requests land on either worker
 * (round robin), the services, the SQLite writer, kv and bus stay in the primary. The same
 * suite as chat-core.system.test.ts, through the same SDK.
 */
chatCoreSuite('all-in-one with 2 socket workers', async () => {
  const s = await startWorkersServer(2);
  return { baseUrl: s.baseUrl, codeFor: (email) => s.codeFor(email), stop: () => s.stop() };
});
