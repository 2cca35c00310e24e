import { auth } from '@mychat/protocol';
import { MyChatClient, MyChatError } from '@mychat/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, signUp, type AuthClient } from '../../../test/helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';

/** `client.search` of the SDK against a real server: messages, contacts by pinyin, files, moments. */
describe('sdk: client.search', () => {
  let server: TestServer;
  let api: AuthClient;
  const clients: MyChatClient[] = [];
  let n = 0;

  beforeAll(async () => {
    server = await startTestServer({
      // Sends past a user's rate: a conversation of more hits than a count shows.
      overrides: { search: { pollIntervalMs: 20 }, message: { sendRatePerSecond: 1000, sendBurst: 1000 } },
    });
    api = server.client(auth.AuthService);
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await server?.stop();
  });

  async function user(nickname: string) {
    const { email } = await signUp(server, api, { nickname });
    const c = new MyChatClient({
      baseUrl: server.baseUrl,
      device: { clientType: 'web', deviceId: `s${++n}`, name: 'vitest' },
    });
    clients.push(c);
    const me = await c.auth.login({ to: { email }, password: PASSWORD });
    return { id: me.id, c };
  }

  // Up to 45 s: the index thread loads its code before its first read (from the sources, on a
  // busy host, that alone took tens of seconds).
  async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
    for (let i = 0; ; i++) {
      const v = await fn();
      if (ok(v) || i > 1800) return v;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it('finds messages, friends by pinyin and files, and pages', async () => {
    const a = await user('张三');
    const b = await user('王五');
    const { request } = await a.c.contacts.request(b.id);
    const conv = (await b.c.contacts.respond(request.id, 'accept')).conversationId!;
    await a.c.messages.sendText(conv, '我们周末去公园散步吧');
    await b.c.messages.sendText(conv, '好啊，公園見');
    for (let i = 0; i < 3; i++) await b.c.messages.sendText(conv, `note ${i}`);

    const found = await until(
      () => b.c.search.messages('公园'),
      (r) => r.hits.length === 2,
    );
    expect(found.hits.map((h) => h.snippet)).toEqual(['好啊，公園見', '我们周末去公园散步吧']);
    const hit = found.hits[1]!;
    expect(hit).toMatchObject({ conversationId: conv, senderId: a.id, type: 'text' });
    expect(hit.snippet.slice(hit.highlights[0]!.start, hit.highlights[0]!.end)).toBe('公园');
    expect(found.conversations).toEqual([expect.objectContaining({ conversationId: conv, count: 2 })]);
    expect(found.nextPageToken).toBeUndefined();

    // All three indexed first (the indexer follows the messages in its own time), then paged.
    await until(
      () => a.c.search.messages('note', { conversationId: conv }),
      (r) => r.hits.length === 3,
    );
    const p1 = await a.c.search.messages('note', { conversationId: conv, limit: 2 });
    expect(p1.hits).toHaveLength(2);
    expect(p1.nextPageToken).toBeDefined();
    const p2 = await a.c.search.messages('note', {
      conversationId: conv,
      limit: 2,
      pageToken: p1.nextPageToken!,
    });
    expect([...p1.hits, ...p2.hits].map((h) => h.snippet)).toEqual(['note 2', 'note 1', 'note 0']);
    expect((await a.c.search.messages('note', { since: Date.now() + 60_000 })).hits).toEqual([]);

    const people = await b.c.search.contacts('zs');
    expect(people.friends).toEqual([expect.objectContaining({ field: 'nickname', byPinyin: true })]);
    expect(people.friends[0]!.friend.user.id).toBe(a.id);

    const bytes = new TextEncoder().encode('numbers');
    const media = await a.c.media.upload(bytes, { name: '季度报告.txt', kind: 'file' });
    await a.c.messages.sendFile(conv, media, { name: '季度报告.txt' });
    const files = await until(
      () => b.c.search.files('报告'),
      (r) => r.chatFiles.length === 1,
    );
    expect(files.chatFiles[0]).toMatchObject({ name: '季度报告.txt', kind: 'file' });
    expect(files.chatFiles[0]!.message.content.type).toBe('file');

    const { moment: post } = await a.c.moments.publish({ text: '公园里的樱花开了' });
    const posts = await until(
      () => b.c.search.moments('樱花'),
      (r) => r.hits.length === 1,
    );
    expect(posts.hits[0]).toMatchObject({ momentId: post.id, authorId: a.id, snippet: '公园里的樱花开了' });
    expect(posts.nextPageToken).toBeUndefined();
  }, 90_000);

  it('says "99+" of a conversation with more hits than a count shows', async () => {
    const a = await user('计数甲');
    const b = await user('计数乙');
    const { request } = await a.c.contacts.request(b.id);
    const conv = (await b.c.contacts.respond(request.id, 'accept')).conversationId!;
    for (let i = 0; i < 100; i++) await a.c.messages.sendText(conv, `上限之外 ${i}`);
    await a.c.messages.sendText(conv, '上限之内');
    const r = await until(
      () => b.c.search.messages('上限'),
      (x) => x.conversations[0]?.lastSeq === x.hits[0]?.seq && x.hits[0]?.snippet === '上限之内',
    );
    expect(r.conversations).toEqual([
      expect.objectContaining({ conversationId: conv, count: 99, capped: true }),
    ]);
    const within = await b.c.search.messages('上限之内');
    expect(within.conversations).toEqual([
      { conversationId: conv, count: 1, lastSeq: r.hits[0]!.seq, lastAt: expect.any(Number) },
    ]);
  });

  it('rejects bad input with MyChatError reasons', async () => {
    const { c } = await user('X');
    const reason = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: unknown) => (e instanceof MyChatError ? e.reason : String(e)),
      );
    expect(await reason(c.search.messages(''))).toBe('INVALID_ARGUMENT');
    expect(await reason(c.search.messages('x'.repeat(1000)))).toBe('FIELD_TOO_LONG');
    expect(await reason(c.search.messages('x', { pageToken: '!!' }))).toBe('INVALID_ARGUMENT');
    expect(await reason(c.search.files(''))).toBe('INVALID_ARGUMENT');
    expect(await reason(c.search.moments(' '))).toBe('INVALID_ARGUMENT');
    expect((await c.search.messages('😀')).hits).toEqual([]);
  });
});
