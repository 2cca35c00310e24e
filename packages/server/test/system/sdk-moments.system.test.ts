import { auth } from '@mychat/protocol';
import { MyChatClient, MyChatError, type MomentHint, type MomentNotice } from '@mychat/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, signUp, type AuthClient } from '../helpers/auth-helpers.js';
import { noisyPng } from '../helpers/media-fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** client.moments against a real server: posting with photos, the feed, albums, likes, comments, live events. */
describe('sdk: moments', () => {
  let server: TestServer;
  let api: AuthClient;
  const clients: MyChatClient[] = [];
  let n = 0;

  beforeAll(async () => {
    server = await startTestServer({ overrides: { moments: { fanoutPollMs: 50 } } });
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
      device: { clientType: 'web', deviceId: `m${++n}`, name: 'vitest' },
    });
    clients.push(c);
    const me = await c.auth.login({ to: { email }, password: PASSWORD });
    return { id: me.id, c };
  }

  async function friends(a: Awaited<ReturnType<typeof user>>, b: Awaited<ReturnType<typeof user>>) {
    const { request } = await a.c.contacts.request(b.id);
    await b.c.contacts.respond(request.id, 'accept');
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

  it('posts photos to some friends; they like, comment and reply; the others see nothing; events arrive live', async () => {
    const ann = await user('Ann');
    const ben = await user('Ben');
    const cat = await user('Cat');
    const dan = await user('Dan');
    for (const f of [ben, cat, dan]) await friends(ann, f);
    await friends(ben, cat);
    await Promise.all([ann, ben, dan].map((u) => u.c.connect()));
    const hints: MomentHint[] = [];
    const danHints: MomentHint[] = [];
    const notices: MomentNotice[] = [];
    ben.c.moments.on('hint', (h) => hints.push(h));
    dan.c.moments.on('hint', (h) => danHints.push(h));
    ann.c.moments.on('notice', (nt, users) =>
      notices.push({ ...nt, text: `${users[nt.actorId]?.name}: ${nt.text}` }),
    );

    const photos = [];
    for (let i = 0; i < 3; i++)
      photos.push(
        (await ann.c.media.upload(await noisyPng(30 + i, 20), { name: `p${i}.png`, kind: 'image' })).id,
      );
    const { moment } = await ann.c.moments.publish({
      text: 'for Ben and Cat',
      images: photos,
      audience: 'only',
      userIds: [ben.id, cat.id],
      location: 'Hangzhou',
      link: { url: 'https://example.com/trip', title: 'Trip' },
    });
    expect(moment).toMatchObject({
      text: 'for Ben and Cat',
      location: 'Hangzhou',
      link: { url: 'https://example.com/trip', title: 'Trip' },
      visibility: { audience: 'only' },
      canInteract: true,
    });
    expect(moment.media.map((m) => m.kind)).toEqual(['image', 'image', 'image']);

    await expect.poll(() => hints.length, { timeout: 5000 }).toBe(1);
    expect(hints[0]).toMatchObject({ momentId: moment.id, authorId: ann.id });
    expect(ben.c.moments.badge.newPosts).toBe(true);
    const feed = await ben.c.moments.timeline();
    expect(feed.moments.map((m) => m.id)).toEqual([moment.id]);
    expect(feed.users[ann.id]?.name).toBe('Ann');
    expect(feed.moments[0]!.visibility).toBeUndefined();
    expect(ben.c.moments.badge.newPosts).toBe(false);

    const thumb = await ben.c.moments.mediaUrl(moment.id, photos[0]!, { variant: 'thumbnail' });
    expect((await fetch(thumb.url)).status).toBe(200);
    expect(await reason(dan.c.moments.mediaUrl(moment.id, photos[0]!))).toBe('NOT_FOUND');
    expect((await dan.c.moments.timeline()).moments).toEqual([]);
    expect(await reason(dan.c.moments.get(moment.id))).toBe('NOT_FOUND');
    expect(danHints).toEqual([]);

    await ben.c.moments.like(moment.id);
    expect(await reason(ben.c.moments.like(moment.id))).toBe('MOMENT_ALREADY_LIKED');
    const { comment } = await ben.c.moments.comment(moment.id, 'beautiful');
    const reply = await cat.c.moments.comment(moment.id, 'agreed', { replyTo: comment.id });
    expect(reply.comment).toMatchObject({ replyToCommentId: comment.id, replyToUserId: ben.id });
    expect(reply.users[ben.id]?.nickname).toBe('Ben');

    await expect.poll(() => notices.length, { timeout: 5000 }).toBe(3);
    expect(notices.map((x) => [x.kind, x.text])).toEqual([
      ['like', 'Ben: '],
      ['comment', 'Ben: beautiful'],
      ['comment', 'Cat: agreed'],
    ]);
    expect(ann.c.moments.badge.unreadNotices).toBe(3);
    const page = await ann.c.moments.notices({ markRead: true });
    expect(page.unreadCount).toBe(3);
    expect(ann.c.moments.badge.unreadNotices).toBe(0);
    expect((await ann.c.moments.notices()).unreadCount).toBe(0);

    const seen = await ben.c.moments.get(moment.id);
    expect(seen.moment.likedByMe).toBe(true);
    expect(seen.moment.comments.map((x) => [seen.users[x.authorId]?.name, x.text])).toEqual([
      ['Ben', 'beautiful'],
      ['Cat', 'agreed'],
    ]);
    await ann.c.moments.delete(moment.id);
    expect((await ben.c.moments.timeline()).moments).toEqual([]);
  });

  it('keeps settings: album window, strangers, cover, hide and mute, and the album page', async () => {
    const ann = await user('Ann');
    const ben = await user('Ben');
    const sam = await user('Sam');
    await friends(ann, ben);
    const cover = (await ann.c.media.upload(await noisyPng(50, 20), { name: 'cover.png', kind: 'image' })).id;
    const s = await ann.c.moments.updateSettings({ albumWindow: 'oneMonth', strangerAccess: 'none', cover });
    expect(s).toMatchObject({ albumWindow: 'oneMonth', strangerAccess: 'none', cover: { mediaId: cover } });
    await ann.c.moments.publish({ text: 'hello' });
    expect((await sam.c.moments.album(ann.id)).moments).toEqual([]);
    const album = await ben.c.moments.album(ann.id);
    expect(album).toMatchObject({ strangerView: false, cover: { mediaId: cover } });
    expect(album.moments.map((m) => m.text)).toEqual(['hello']);
    expect((await fetch((await sam.c.moments.coverUrl(ann.id, cover)).url)).status).toBe(200);

    expect((await ann.c.moments.hideFrom(ben.id, true)).hideFrom).toEqual([ben.id]);
    expect((await ben.c.moments.album(ann.id)).moments).toEqual([]);
    await ann.c.moments.hideFrom(ben.id, false);
    expect((await ben.c.moments.mute(ann.id, true)).muted).toEqual([ann.id]);
    expect((await ben.c.moments.timeline()).moments).toEqual([]);
    expect((await ben.c.moments.album(ann.id)).moments).toHaveLength(1);
    expect(await reason(ann.c.moments.publish({ text: '' }))).toBe('MOMENT_EMPTY');
    expect(await reason(ann.c.moments.publish({ images: Array.from({ length: 10 }, () => cover) }))).toBe(
      'MOMENT_TOO_MANY_MEDIA',
    );
  });
});
