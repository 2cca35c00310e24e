import { MyChatClient } from '@mychat/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startCluster, type Cluster } from '../../../dev/cluster/cluster.js';
import { PASSWORD, uniqueEmail } from '../../../test/helpers/auth-helpers.js';
import { backendAvailable } from '../../../test/helpers/backends.js';
import { clusterTestEnv } from '../../../test/helpers/cluster-env.js';

/**
 * Search in the split topology (PostgreSQL + Redis, one process per service): the worker's
 * indexer reads the message service's feed over gRPC, the search process asks it for read
 * windows over gRPC, and a person finds their message through a gateway.
 */
const ready = (await backendAvailable('postgres')) && (await backendAvailable('redis'));
describe.skipIf(!ready)('search in the split topology', () => {
  let cluster: Cluster;
  const clients: MyChatClient[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ env: { ...clusterTestEnv, MYCHAT_SEARCH_POLL_INTERVAL_MS: '50' } });
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) await c.close();
    await cluster?.stop();
  });

  let n = 0;
  async function person(name: string) {
    const email = uniqueEmail('search');
    const client = new MyChatClient({
      baseUrl: cluster.baseUrl,
      device: { clientType: 'pc', deviceId: `search-${++n}`, name: 'vitest' },
      WebSocket: WebSocket as never,
    });
    clients.push(client);
    await client.auth.sendCode({ email }, 'register');
    const me = await client.auth.register({
      to: { email },
      code: await cluster.codeFor(email),
      password: PASSWORD,
      nickname: name,
    });
    return { client, me };
  }

  async function served(proc: string, method: string): Promise<number> {
    const text = await (await fetch(`${cluster.process(proc).httpUrl}/metrics`)).text();
    return text
      .split('\n')
      .filter(
        (l) => l.startsWith('mychat_rpc_server_duration_seconds_count{') && l.includes(`method="${method}"`),
      )
      .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
  }

  it('indexes through the feed and answers with the windows, across processes', async () => {
    const a = await person('张三');
    const b = await person('Bob');
    const { request } = await a.client.contacts.request(b.me.id);
    const conv = (await b.client.contacts.respond(request.id, 'accept')).conversationId!;
    await a.client.messages.sendText(conv, '分布式部署里的公园消息');
    let hits = 0;
    for (let i = 0; i < 400 && hits === 0; i++) {
      hits = (await b.client.search.messages('公园')).hits.length;
      if (!hits) await new Promise((r) => setTimeout(r, 50));
    }
    expect(hits).toBe(1);
    expect((await b.client.search.contacts('zs')).friends).toHaveLength(1);
    expect(await served('message', 'ListMessagesForIndex')).toBeGreaterThan(0);
    expect(await served('message', 'ListReadableWindows')).toBeGreaterThan(0);
    expect(await served('search', 'SearchMessages')).toBeGreaterThan(0);
  }, 60_000);
});
