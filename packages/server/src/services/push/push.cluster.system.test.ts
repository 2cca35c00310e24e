import { MyChatClient } from '@mychat/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startCluster, type Cluster } from '../../../dev/cluster/cluster.js';
import { PASSWORD, uniqueEmail } from '../../../test/helpers/auth-helpers.js';
import { backendAvailable, backendUrls } from '../../../test/helpers/backends.js';
import { clusterTestEnv } from '../../../test/helpers/cluster-env.js';
import { startFakePushService, type FakePushService } from '../../../test/helpers/fake-push-service.js';

/**
 * The split: PushService in its own process, the sender in the worker, message and auth
 * reached over gRPC, one VAPID key file for both: a message to an offline, subscribed user
 * leaves the worker as a push signed with the key the push service handed out.
 */
const ready = (await backendAvailable('postgres')) && (await backendAvailable('redis'));
describe.skipIf(!ready)('push in the split deployment (PostgreSQL + Redis)', () => {
  let cluster: Cluster;
  let fake: FakePushService;
  const clients: MyChatClient[] = [];

  beforeAll(async () => {
    fake = await startFakePushService();
    cluster = await startCluster({
      sql: backendUrls.postgres,
      redisUrl: backendUrls.redis,
      gateways: 1,
      env: {
        ...clusterTestEnv,
        MYCHAT_PUSH_ALLOWED_PRIVATE_ENDPOINTS: '127.0.0.1/32',
        MYCHAT_PUSH_CA_FILE: fake.certFile,
      },
    });
  }, 120_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
    await fake?.stop();
  });

  const person = async (nickname: string) => {
    const client = new MyChatClient({
      baseUrl: cluster.baseUrl,
      device: { clientType: 'web', deviceId: nickname, name: nickname },
      WebSocket: WebSocket as never,
    });
    clients.push(client);
    const email = uniqueEmail(nickname);
    await client.auth.sendCode({ email }, 'register');
    const me = await client.auth.register({
      to: { email },
      code: await cluster.codeFor(email),
      password: PASSWORD,
      nickname,
    });
    return { client, id: me.id };
  };

  it('pushes from the worker with the key the push service gave', { timeout: 60_000 }, async () => {
    const a = await person('Alice');
    const b = await person('Bob');
    const { request } = await a.client.contacts.request(b.id);
    const { conversationId } = await b.client.contacts.respond(request.id, 'accept');
    const s = fake.subscription();
    const key = (await b.client.push.config()).vapidPublicKey;
    await b.client.push.subscribe(
      { endpoint: s.endpoint, keys: { p256dh: s.p256dh, auth: s.auth } },
      'Bob web',
    );
    // The worker picks the new subscription up from the bus announcement (or its rescan).
    await new Promise((r) => setTimeout(r, 500));
    await a.client.connect();
    await a.client.messages.sendText(conversationId!, 'over the split');
    const [p] = await fake.waitFor(1, s.id, 30_000);
    expect(p!.payload).toMatchObject({ kind: 'message', from: 'Alice', direct: true, conversationId });
    expect(p!.vapidKey).toBe(key);
  });
});
