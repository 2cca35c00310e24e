import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { auth } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/helpers/test-server.js';

/** The internal gRPC port serves services only to callers holding the internal token. */
describe('internal rpc server', () => {
  let server: TestServer;
  let url: string;
  beforeAll(async () => {
    server = await startTestServer({ overrides: { rpc: { port: 0, token: 'internal-secret-for-test' } } });
    url = `http://127.0.0.1:${server.app.value('rpc-server').port}`;
  });
  afterAll(() => server?.stop());

  const client = (headers: Record<string, string>) =>
    createClient(
      auth.AuthService,
      createGrpcTransport({
        baseUrl: url,
        interceptors: [
          (next) => (req) => {
            for (const [k, v] of Object.entries(headers)) req.header.set(k, v);
            return next(req);
          },
        ],
      }),
    );

  it('refuses a call without the internal token', async () => {
    await expect(client({}).getMe({})).rejects.toMatchObject({ code: 16 }); // unauthenticated
    await expect(client({ 'x-mychat-internal-token': 'wrong' }).getMe({})).rejects.toMatchObject({
      code: 16,
    });
  });

  it('serves a call that carries the token, trusting its identity headers', async () => {
    const c = client({ 'x-mychat-internal-token': 'internal-secret-for-test' });
    // No caller identity: the service itself refuses GetMe with its stable code.
    await expect(c.getMe({})).rejects.toMatchObject({ rawMessage: 'authentication required' });
    const r = await c.sendVerificationCode({
      destination: { case: 'email', value: 'grpc@example.com' },
      purpose: 'register',
    });
    expect(r.expiresInSeconds).toBe(300);
  });
});
