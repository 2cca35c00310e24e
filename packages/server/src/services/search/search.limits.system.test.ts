import { auth, search } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectReason, signUp } from '../../../test/helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';

/** Searches scan an index: they are reads, paid from the account's read budget at the edge. */
describe('search and the read budget', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ overrides: { ws: { readBurst: 3, readRatePerSecond: 1 } } });
  });
  afterAll(() => server?.stop());

  it('answers RATE_LIMITED with a wait once an account has searched through its burst', async () => {
    const { session } = await signUp(server, server.client(auth.AuthService));
    const api = server.client(search.SearchService);
    const h = bearer(session.accessToken);
    await api.searchMessages({ query: '公园' }, h);
    await api.searchContacts({ query: 'zs' }, h);
    await api.searchFiles({ query: 'x' }, h);
    const err = await expectReason(api.searchMessages({ query: '公园' }, h), 'RATE_LIMITED');
    expect(err.rawMessage).toMatch(/too many reads/);
  });
});
