import { MemorySessionStore, MyChatClient, type StoredSession } from '@mychat/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, uniqueEmail } from '../helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * Two SDK clients sharing one stored session, as the tabs of one browser do. A refresh token
 * is single use: if one client sent a token the other had already rotated, the server would
 * end the session for both. The clients must re-read the store (and, when the store offers
 * it, take its lock) before refreshing.
 */
describe('sdk: one session shared by two clients (browser tabs)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  /** A shared store whose `exclusive` lets one holder in at a time, like a Web Lock. */
  class LockingStore extends MemorySessionStore {
    private tail: Promise<unknown> = Promise.resolve();
    holders = 0;
    maxHolders = 0;
    exclusive<T>(fn: () => Promise<T>): Promise<T> {
      const run = this.tail.then(async () => {
        this.maxHolders = Math.max(this.maxHolders, ++this.holders);
        try {
          return await fn();
        } finally {
          this.holders--;
        }
      });
      this.tail = run.catch(() => undefined);
      return run;
    }
  }

  async function twoTabs(store: MemorySessionStore) {
    const tab = () =>
      new MyChatClient({
        baseUrl: server.baseUrl,
        device: { clientType: 'web', deviceId: 'shared-browser', name: 'vitest' },
        sessionStore: store,
      });
    const a = tab();
    const email = uniqueEmail('tabs');
    await a.auth.sendCode({ email }, 'register');
    await a.auth.register({
      to: { email },
      code: await server.codeFor(email),
      password: PASSWORD,
      nickname: 'Tabs',
    });
    const b = tab();
    // Both have read the session before either refreshes (as two open tabs have).
    expect((await b.auth.session())!.refreshToken).toBe((await a.auth.session())!.refreshToken);
    return { a, b };
  }

  it('the second tab takes over the session the first one rotated instead of reusing the old token', async () => {
    const store = new MemorySessionStore();
    const { a, b } = await twoTabs(store);
    const old = (await b.auth.session())!.refreshToken;
    const rotated = await a.auth.refresh();
    expect(rotated.refreshToken).not.toBe(old);
    const ended: string[] = [];
    b.on('session', (_s, why) => why === 'ended' && ended.push(why));
    const sb = await b.auth.refresh();
    expect(sb.refreshToken).not.toBe(old);
    expect((await a.auth.me()).nickname).toBe('Tabs');
    expect((await b.auth.me()).nickname).toBe('Tabs');
    expect(ended).toEqual([]);
  });

  it('tabs refreshing at the same moment, again and again, take turns and both stay signed in', async () => {
    const store = new LockingStore();
    const { a, b } = await twoTabs(store);
    const seen = new Set<string>();
    for (let round = 0; round < 5; round++) {
      const [sa, sb] = await Promise.all([a.auth.refresh(), b.auth.refresh()]);
      for (const s of [sa, sb] as StoredSession[]) seen.add(s.refreshToken);
      await Promise.all([a.auth.me(), b.auth.me()]);
    }
    expect(store.maxHolders).toBe(1);
    expect(seen.size).toBeGreaterThanOrEqual(5);
    expect((await store.load())?.refreshToken).toBe((await a.auth.session())!.refreshToken);
  });

  it('a tab whose session was signed out by another tab is told it ended', async () => {
    const store = new MemorySessionStore();
    const { a, b } = await twoTabs(store);
    await a.auth.logout();
    const why: string[] = [];
    b.on('session', (_s, w) => why.push(w));
    await expect(b.auth.refresh()).rejects.toMatchObject({ reason: 'UNAUTHENTICATED' });
    expect(why).toEqual(['ended']);
  });
});
