import { auth } from '@mychat/protocol';
import { MyChatClient, MyChatError, type SquareNotice } from '@mychat/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SquareStore } from '../../src/services/square/square.repository.js';
import { PASSWORD, signUp, type AuthClient } from '../helpers/auth-helpers.js';
import { noisyPng } from '../helpers/media-fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** client.square against a real server: boards, a thread with photos, replies, live notices, moderation. */
describe('sdk: square', () => {
  let server: TestServer;
  let api: AuthClient;
  const clients: MyChatClient[] = [];
  let n = 0;

  beforeAll(async () => {
    server = await startTestServer({
      overrides: { square: { postsPerMinute: 1000, newAccountPostsPerDay: 1000 } },
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

  async function reason(p: Promise<unknown>): Promise<string> {
    try {
      await p;
    } catch (err) {
      expect(err).toBeInstanceOf(MyChatError);
      return (err as MyChatError).reason;
    }
    return 'resolved';
  }

  it('posts a thread with photos, replies with a quote, notifies live, and moderates', async () => {
    const admin = await user('Admin');
    const ann = await user('Ann');
    const ben = await user('Ben');
    await SquareStore.of(server.app.value('sql')).social.setAdmin(admin.id, true, Date.now());
    expect(await reason(ann.c.square.createBoard('Nope'))).toBe('PERMISSION_DENIED');
    const board = await admin.c.square.createBoard('综合讨论', { description: 'everything' });
    expect((await ann.c.square.boards()).boards.map((b) => b.name)).toContain('综合讨论');

    const photos = [];
    for (let i = 0; i < 2; i++)
      photos.push(
        (await ann.c.media.upload(await noisyPng(40 + i, 30), { name: `p${i}.png`, kind: 'image' })).id,
      );
    const { thread, post } = await ann.c.square.createThread(board.id, 'Hello square', {
      body: 'Look **here**: [site](https://example.com)',
      images: photos,
    });
    expect(post.html).toContain('<strong>here</strong>');
    expect(post.html).toContain('rel="nofollow noopener noreferrer"');

    await ann.c.connect();
    const live: SquareNotice[] = [];
    ann.c.square.on('notice', (x) => live.push(x));
    const reply = await ben.c.square.reply(thread.id, {
      body: 'nice',
      quotePostId: post.id,
      mentions: [ann.id],
    });
    expect(reply.quote).toMatchObject({ postId: post.id, authorId: ann.id });
    for (let i = 0; i < 100 && live.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(live[0]).toMatchObject({ threadId: thread.id, postId: reply.id, threadTitle: 'Hello square' });

    const seen = await ben.c.square.thread(thread.id);
    expect(seen.posts.map((p) => p.floor)).toEqual([0, 1]);
    const images = seen.posts[0]!.images;
    expect(images.length).toBe(2);
    const res = await fetch(images[0]!.fullUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^image\//);
    expect(seen.users[ann.id]?.nickname).toBe('Ann');
    expect(await ben.c.square.like(post.id)).toBe(1);

    const page = await ben.c.square.threads(board.id, { sort: 'hot' });
    expect(page.threads[0]).toMatchObject({ id: thread.id, replyCount: 1, likeCount: 1 });

    const reportId = await ann.c.square.report(reply.id, 'rude');
    expect((await admin.c.square.reports()).reports.map((r) => r.id)).toContain(reportId);
    await admin.c.square.resolveReport(reportId, true, 'be kind');
    const notices = await ann.c.square.notices({ markRead: true });
    expect(notices.notices[0]).toMatchObject({ kind: 'report-resolved', removed: true, text: 'be kind' });
    expect(notices.unread).toBe(0);
    expect((await ben.c.square.notices()).notices[0]).toMatchObject({
      kind: 'post-removed',
      text: 'be kind',
    });

    await admin.c.square.lock(thread.id);
    expect(await reason(ben.c.square.reply(thread.id, { body: 'late' }))).toBe('SQUARE_THREAD_LOCKED');
    await admin.c.square.ban(ben.id, { seconds: 600 });
    expect(await reason(ben.c.square.createThread(board.id, 't', { body: 'b' }))).toBe('SQUARE_BANNED');
  });
});
