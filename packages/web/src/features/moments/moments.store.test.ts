import { MyChatError, type Moment, type MomentMedia, type MomentNotice } from '@mychat/sdk';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeClient, installBrowserGlobals, settle } from '../../sdk/fake-client.test-helpers.js';

installBrowserGlobals();
const { provideClient } = await import('../../sdk/current-client.js');
const { useMomentsStore } = await import('./moments.store.js');
const { useDiscoverStore } = await import('./discover.store.js');

const user = (id: string, name: string) => ({ id, nickname: name, avatarUrl: '', remark: '', name });
const image = (mediaId: string, extra: Partial<MomentMedia> = {}): MomentMedia => ({
  mediaId,
  kind: 'image',
  mime: 'image/png',
  size: 10,
  width: 4,
  height: 3,
  durationMs: 0,
  placeholder: '',
  hasThumbnail: true,
  hasPoster: false,
  ...extra,
});
const post = (id: string, authorId = 'ann', extra: Partial<Moment> = {}): Moment => ({
  id,
  authorId,
  text: `post ${id}`,
  media: [],
  location: '',
  mentionUserIds: [],
  createdAt: 1_700_000_000_000,
  likes: [],
  comments: [],
  likedByMe: false,
  canInteract: true,
  ...extra,
});
const notice = (id: string, momentId: string, extra: Partial<MomentNotice> = {}): MomentNotice => ({
  id,
  kind: 'comment',
  momentId,
  actorId: 'bob',
  text: 'nice',
  createdAt: 1,
  unread: true,
  momentText: '',
  ...extra,
});

let fake: FakeClient;
beforeEach(() => {
  fake = new FakeClient();
  localStorage.setItem('mychat.me', JSON.stringify({ id: 'me', nickname: 'Me', avatarUrl: '' }));
  provideClient(fake.asClient());
  setActivePinia(createPinia());
});

describe('moments store: feed, albums and one post', () => {
  it('pages the feed with the cursor, and keeps each post once: a like in the feed shows on the album', async () => {
    fake.provide('moments', {
      timeline: async (o: { cursor?: string }) =>
        o.cursor === 'c1'
          ? { moments: [post('p2'), post('p1')], users: { bob: user('bob', 'Bob') } }
          : {
              moments: [post('p3'), post('p2', 'bob')],
              users: { ann: user('ann', 'Ann') },
              nextCursor: 'c1',
            },
      album: async () => ({ moments: [post('p2', 'bob')], users: {}, strangerView: false }),
      like: async () => ({ userId: 'me', createdAt: 1 }),
    });
    const s = useMomentsStore();
    await s.loadFeed();
    expect(s.feed.ids).toEqual(['p3', 'p2']);
    expect(s.feed.nextCursor).toBe('c1');
    await s.loadFeed(true);
    // p2 came again on the next page: once in the list.
    expect(s.feed.ids).toEqual(['p3', 'p2', 'p1']);
    expect(s.feed.nextCursor).toBeUndefined();
    expect(s.nameOf('ann')).toBe('Ann');
    expect(s.nameOf('bob')).toBe('Bob');
    await s.loadFeed(true); // no cursor: nothing asked
    expect(fake.calls.filter((c) => c.startsWith('moments.timeline'))).toHaveLength(2);

    await s.loadAlbum('bob');
    await s.like('p2', true);
    const onAlbum = s.posts[s.albums.bob!.ids[0]!]!;
    expect(onAlbum.likedByMe).toBe(true);
    expect(onAlbum.likes.map((l) => l.userId)).toEqual(['me']);
    expect(s.feedPosts.find((m) => m.id === 'p2')).toBe(onAlbum);
  });

  it('keeps an album’s cover and stranger view, and pages it', async () => {
    const cover = image('cov');
    fake.provide('moments', {
      album: async (_u: string, o: { cursor?: string }) =>
        o.cursor
          ? { moments: [post('a1')], users: {}, strangerView: true, cover }
          : { moments: [post('a2')], users: {}, strangerView: true, cover, nextCursor: 'x' },
    });
    const s = useMomentsStore();
    await s.loadAlbum('ann');
    await s.loadAlbum('ann', true);
    expect(s.albums.ann).toMatchObject({ ids: ['a2', 'a1'], strangerView: true, cover, loaded: true });
    expect(fake.calls).toEqual(['moments.album("ann",{})', 'moments.album("ann",{"cursor":"x"})']);
  });

  it('a post that is gone (NOT_FOUND) leaves the feed, the albums and the notices; other errors leave it be', async () => {
    let reason = 'NOT_FOUND';
    fake.provide('moments', {
      timeline: async () => ({ moments: [post('p1'), post('p2')], users: {} }),
      album: async () => ({ moments: [post('p1')], users: {}, strangerView: false }),
      notices: async () => ({ notices: [notice('n1', 'p1'), notice('n2', 'p2')], users: {}, unreadCount: 2 }),
      get: async () => Promise.reject(new MyChatError('x', reason)),
    });
    const s = useMomentsStore();
    await Promise.all([s.loadFeed(), s.loadAlbum('ann'), s.loadNotices()]);
    reason = 'NETWORK';
    await expect(s.loadMoment('p1')).rejects.toMatchObject({ reason: 'NETWORK' });
    expect(s.posts.p1).toBeDefined();
    reason = 'NOT_FOUND';
    await expect(s.loadMoment('p1')).rejects.toMatchObject({ reason: 'NOT_FOUND' });
    expect(s.posts.p1).toBeUndefined();
    expect(s.feed.ids).toEqual(['p2']);
    expect(s.albums.ann!.ids).toEqual([]);
    expect(s.notices.map((n) => n.id)).toEqual(['n2']);
  });
});

describe('moments store: likes and comments', () => {
  async function withPost(api: Record<string, (...a: never[]) => unknown>) {
    fake.provide('moments', {
      timeline: async () => ({
        moments: [post('p1', 'ann', { likes: [{ userId: 'bob', createdAt: 1 }] })],
        users: {},
      }),
      ...api,
    });
    const s = useMomentsStore();
    await s.loadFeed();
    return s;
  }

  it('a like shows at once, and is put back when the server refuses it', async () => {
    let answer: () => Promise<unknown> = async () => ({});
    const s = await withPost({ like: () => answer(), unlike: () => answer() });
    const p = s.posts.p1!;

    answer = () => Promise.reject(new MyChatError('no', 'NOT_FOUND'));
    const pending = s.like('p1', true);
    expect(p.likedByMe).toBe(true); // before the server answered
    expect(p.likes.map((l) => l.userId)).toEqual(['bob', 'me']);
    await expect(pending).rejects.toMatchObject({ reason: 'NOT_FOUND' });
    expect(p.likedByMe).toBe(false);
    expect(p.likes.map((l) => l.userId)).toEqual(['bob']);

    // "Already liked" means the like is there: it stays.
    answer = () => Promise.reject(new MyChatError('twice', 'MOMENT_ALREADY_LIKED'));
    await s.like('p1', true);
    expect(p.likedByMe).toBe(true);

    answer = async () => undefined;
    await s.like('p1', false);
    expect(p).toMatchObject({ likedByMe: false, likes: [{ userId: 'bob' }] });
    expect(fake.calls.filter((c) => /like/.test(c))).toEqual([
      'moments.like("p1")',
      'moments.like("p1")',
      'moments.unlike("p1")',
    ]);
  });

  it('comments and replies are added once with the names they bring; deleting one takes its notices along', async () => {
    const reply = {
      id: 'c2',
      momentId: 'p1',
      authorId: 'me',
      text: 'thanks',
      replyToCommentId: 'c1',
      replyToUserId: 'bob',
      createdAt: 2,
    };
    const s = await withPost({
      comment: async () => ({ comment: reply, users: { bob: user('bob', 'Bobby') } }),
      deleteComment: async () => undefined,
      notices: async () => ({
        notices: [notice('n1', 'p1', { commentId: 'c2' }), notice('n2', 'p1', { commentId: 'c9' })],
        users: {},
        unreadCount: 0,
      }),
    });
    await s.loadNotices();
    await s.comment('p1', 'thanks', 'c1');
    await s.comment('p1', 'thanks', 'c1'); // the same comment answered twice: shown once
    expect(s.posts.p1!.comments).toEqual([reply]);
    expect(s.nameOf('bob')).toBe('Bobby');
    expect(fake.calls).toContain('moments.comment("p1","thanks",{"replyTo":"c1"})');

    await s.deleteComment('p1', 'c2');
    expect(s.posts.p1!.comments).toEqual([]);
    expect(s.notices.map((n) => n.id)).toEqual(['n2']);
  });

  it('deleting a post removes it from the feed and the album', async () => {
    const s = await withPost({
      delete: async () => undefined,
      album: async () => ({ moments: [post('p1')], users: {}, strangerView: false }),
    });
    await s.loadAlbum('ann');
    await s.deleteMoment('p1');
    expect(s.feed.ids).toEqual([]);
    expect(s.albums.ann!.ids).toEqual([]);
    expect(s.posts.p1).toBeUndefined();
  });
});

describe('moments store: publishing', () => {
  const blob = (n: number) => new Blob([new Uint8Array(n)]);

  it('uploads the photos with progress, posts them with the audience and reminders, and puts the post on top', async () => {
    const progress: (number | null)[] = [];
    let published: unknown;
    fake.provide('moments', {
      timeline: async () => ({ moments: [post('old')], users: {} }),
      publish: async (o: unknown) => {
        published = o;
        return { moment: post('new', 'me'), duplicate: false };
      },
    });
    fake.provide('media', {
      upload: async (b: Blob, o: { onProgress: (n: number) => void; name: string }) => {
        o.onProgress(b.size);
        progress.push(s.progress?.sent ?? null);
        return { id: `m-${o.name}`, status: 'ready' };
      },
    });
    const s = useMomentsStore();
    await s.loadFeed();
    await s.publish({
      text: 'hello',
      files: [
        { blob: blob(3), name: 'a.png', kind: 'image' },
        { blob: blob(5), name: 'b.png', kind: 'image' },
      ],
      location: 'Lake',
      audience: 'only',
      userIds: ['bob', 'cat'],
      tagIds: ['family'],
      mentions: ['bob'],
      clientId: 'draft-1',
    });
    expect(progress).toEqual([3, 8]);
    expect(s.progress).toBeNull();
    expect(published).toEqual({
      text: 'hello',
      images: ['m-a.png', 'm-b.png'],
      location: 'Lake',
      audience: 'only',
      userIds: ['bob', 'cat'],
      tagIds: ['family'],
      mentions: ['bob'],
      clientId: 'draft-1',
    });
    expect(s.feed.ids).toEqual(['new', 'old']);
    expect(s.nameOf('me')).toBe('Me');
  });

  it('posts the same picture picked twice once (the server stores one file for both)', async () => {
    let published: Record<string, unknown> = {};
    fake.provide('moments', {
      publish: async (o: Record<string, unknown>) => {
        published = o;
        return { moment: post('d', 'me'), duplicate: false };
      },
    });
    fake.provide('media', {
      upload: async (_b: Blob, o: { name: string }) => ({
        id: o.name === 'c.png' ? 'm2' : 'm1',
        status: 'ready',
      }),
    });
    const s = useMomentsStore();
    await s.publish({
      text: '',
      files: ['a.png', 'c.png', 'b.png'].map((name) => ({ blob: blob(1), name, kind: 'image' as const })),
      location: '',
      audience: 'friends',
      userIds: [],
      mentions: [],
      clientId: 'd',
    });
    expect(published.images).toEqual(['m1', 'm2']);
  });

  it('waits for a video the server transcodes, and sends no list for "all friends"', async () => {
    let published: Record<string, unknown> = {};
    fake.provide('moments', {
      publish: async (o: Record<string, unknown>) => {
        published = o;
        return { moment: post('v', 'me'), duplicate: false };
      },
    });
    fake.provide('media', {
      upload: async () => ({ id: 'vid', status: 'processing' }),
      whenReady: async (id: string) => ({ id, status: 'ready' }),
    });
    const s = useMomentsStore();
    await s.publish({
      text: '',
      files: [{ blob: blob(4), name: 'v.mp4', kind: 'video' }],
      location: '',
      audience: 'friends',
      userIds: ['ignored'],
      mentions: [],
      clientId: 'draft-2',
    });
    expect(fake.calls).toContain('media.whenReady("vid",{})');
    expect(published).toEqual({
      text: '',
      video: 'vid',
      audience: 'friends',
      mentions: [],
      clientId: 'draft-2',
    });
    expect(s.feed.ids).toEqual([]); // the feed was not loaded: it loads fresh when opened
  });

  it('a failed upload posts nothing and clears the progress', async () => {
    fake.provide('moments', { publish: async () => ({ moment: post('x'), duplicate: false }) });
    fake.provide('media', { upload: async () => Promise.reject(new MyChatError('full', 'QUOTA_EXCEEDED')) });
    const s = useMomentsStore();
    await expect(
      s.publish({
        text: 'x',
        files: [{ blob: blob(1), name: 'a.png', kind: 'image' }],
        location: '',
        audience: 'friends',
        userIds: [],
        mentions: [],
        clientId: 'd',
      }),
    ).rejects.toMatchObject({ reason: 'QUOTA_EXCEEDED' });
    expect(fake.calls.some((c) => c.startsWith('moments.publish'))).toBe(false);
    expect(s.progress).toBeNull();
  });
});

describe('moments store: notices, the badge and live events', () => {
  it('the first page marks notices read; a live one is added once and refreshes its post on screen', async () => {
    let gets = 0;
    fake.provide('moments', {
      notices: async (o: { cursor?: string }) =>
        o.cursor
          ? { notices: [notice('n0', 'p1')], users: {}, unreadCount: 0 }
          : { notices: [notice('n1', 'p1')], users: {}, nextCursor: 'k', unreadCount: 1 },
      timeline: async () => ({ moments: [post('p1', 'me')], users: {} }),
      get: async () => {
        gets++;
        return { moment: post('p1', 'me', { comments: [] }), users: { cat: user('cat', 'Cat') } };
      },
    });
    const s = useMomentsStore();
    await s.loadNotices();
    await s.loadNotices(true);
    expect(fake.calls.slice(0, 2)).toEqual([
      'moments.notices({"markRead":true})',
      'moments.notices({"cursor":"k"})',
    ]);
    expect(s.notices.map((n) => n.id)).toEqual(['n1', 'n0']);

    await s.loadFeed();
    const live = notice('n2', 'p1', { actorId: 'cat' });
    fake.emitMoments('notice', live, { cat: user('cat', 'Cat') }, 2);
    fake.emitMoments('notice', live, { cat: user('cat', 'Cat') }, 2);
    await settle();
    expect(s.notices.map((n) => n.id)).toEqual(['n2', 'n1', 'n0']);
    expect(s.nameOf('cat')).toBe('Cat');
    expect(gets).toBe(2);
    // A notice about a post not on screen fetches nothing.
    fake.emitMoments('notice', notice('n3', 'elsewhere'), {}, 3);
    await settle();
    expect(gets).toBe(2);
  });

  it('the Discover badge follows the SDK’s and the newest author, and asks the unread count each time live', async () => {
    fake.provide('moments', { notices: async () => ({ notices: [], users: {}, unreadCount: 4 }) });
    const s = useDiscoverStore();
    fake.emitMoments('hint', { momentId: 'p9', authorId: 'bob', authorAvatarUrl: '/a.png' });
    fake.emitMoments('badge', { newPosts: true, latestAuthorAvatarUrl: '/a.png', unreadNotices: 0 });
    expect(s.latestAuthorId).toBe('bob');
    expect(s.badge).toEqual({ newPosts: true, latestAuthorAvatarUrl: '/a.png', unreadNotices: 0 });
    fake.emit('state', 'syncing', '');
    expect(fake.calls).toEqual([]);
    fake.emit('state', 'live', '');
    expect(fake.calls).toEqual(['moments.notices({"limit":1})']);
    fake.emit('state', 'reconnecting', '');
    fake.emit('state', 'live', '');
    expect(fake.calls).toHaveLength(2);
  });

  it('a Discover badge made while already live asks the count at once', async () => {
    fake.provide('moments', { notices: async () => ({ notices: [], users: {}, unreadCount: 0 }) });
    fake.state = 'live';
    useDiscoverStore();
    expect(fake.calls).toEqual(['moments.notices({"limit":1})']);
  });
});

describe('moments store: file URLs and settings', () => {
  it('caches a URL until shortly before it expires, and asks for the right picture of each kind', async () => {
    let n = 0;
    let life = 300_000;
    fake.provide('moments', {
      mediaUrl: async (_m: string, id: string, o: { variant: string }) => ({
        url: `/f/${id}/${o.variant}/${++n}`,
        expiresAt: Date.now() + life,
      }),
      coverUrl: async (u: string, id: string) => ({ url: `/c/${u}/${id}`, expiresAt: Date.now() + life }),
    });
    const s = useMomentsStore();
    const img = image('i1');
    expect(await s.fileUrl({ momentId: 'p' }, img, 'thumbnail')).toBe('/f/i1/thumbnail/1');
    expect(await s.fileUrl({ momentId: 'p' }, img, 'thumbnail')).toBe('/f/i1/thumbnail/1');
    expect(await s.fileUrl({ momentId: 'p' }, img, 'thumbnail', true)).toBe('/f/i1/thumbnail/2');
    // Too small for a thumbnail: the image itself. A video's picture: its poster.
    expect(await s.fileUrl({ momentId: 'p' }, image('i2', { hasThumbnail: false }), 'thumbnail')).toBe(
      '/f/i2/original/3',
    );
    const video = image('v1', { kind: 'video', hasPoster: true });
    expect(await s.fileUrl({ momentId: 'p' }, video, 'thumbnail')).toBe('/f/v1/poster/4');
    expect(await s.fileUrl({ momentId: 'p' }, video, 'original')).toBe('/f/v1/original/5');
    // About to expire: asked again.
    life = 10_000;
    expect(await s.fileUrl({ momentId: 'q' }, img, 'original')).toBe('/f/i1/original/6');
    expect(await s.fileUrl({ momentId: 'q' }, img, 'original')).toBe('/f/i1/original/7');
    expect(await s.fileUrl({ coverOf: 'ann' }, img, 'original')).toBe('/c/ann/i1');
  });

  it('a new cover is uploaded as an image, set, and shown on the own album', async () => {
    const cover = image('cov');
    fake.provide('media', { upload: async () => ({ id: 'cov', status: 'ready' }) });
    fake.provide('moments', {
      updateSettings: async () => ({
        albumWindow: 'all',
        strangerAccess: 'ten',
        cover,
        hideFrom: [],
        muted: [],
      }),
    });
    const s = useMomentsStore();
    await s.setCover(new Blob([new Uint8Array(2)], { type: 'image/png' }), 'c.png');
    expect(fake.calls[0]).toMatch(/^media\.upload\(\{\},\{"name":"c.png","kind":"image"\}\)$/);
    expect(fake.calls[1]).toBe('moments.updateSettings({"cover":"cov"})');
    expect(s.settings?.cover).toEqual(cover);
    expect(s.albums.me?.cover).toEqual(cover);
  });
});
