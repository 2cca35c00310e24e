import {
  MyChatError,
  type Audience,
  type MediaVariant,
  type Moment,
  type MomentMedia,
  type MomentNotice,
  type MomentSettings,
  type MomentUsers,
  type SettingsChange,
} from '@mychat/sdk';
import { defineStore } from 'pinia';
import { computed, reactive, ref } from 'vue';
import { sdkClient } from '../../sdk/current-client.js';
import { useSessionStore } from '../auth/session.store.js';

/** What the composer hands over: the post and its files, not uploaded yet. */
export interface MomentDraft {
  text: string;
  /** 0-9 images, or one video. */
  files: { blob: Blob; name: string; kind: 'image' | 'video' }[];
  location: string;
  audience: Audience;
  /** 'only' and 'except': the friends listed. */
  userIds: string[];
  /** 'only' and 'except': friend tags whose members join the list. */
  tagIds?: string[];
  /** "Remind who". */
  mentions: string[];
  /** Made once per draft, so a retry after a failure never posts twice. */
  clientId: string;
}

/** One person's album page as loaded so far. */
export interface Album {
  ids: string[];
  cover?: MomentMedia;
  strangerView: boolean;
  nextCursor?: string;
  loaded: boolean;
}

/** A list of posts loaded page by page (the feed). */
interface Feed {
  ids: string[];
  nextCursor?: string;
  loaded: boolean;
  loading: boolean;
}

/** Ask for a new URL this long before the old one expires. */
const URL_MARGIN_MS = 30_000;
export const MAX_IMAGES = 9;
export const MAX_MENTIONS = 10;

/**
 * Moments (朋友圈): the feed, albums, one post, likes and comments, notices, settings and
 * publishing (the tab's badge is discover.store.ts). Every post is kept once by id, so a like in
 * the feed shows on the album and the post page too.
 */
export const useMomentsStore = defineStore('moments', () => {
  const client = sdkClient();
  const session = useSessionStore();
  const posts = reactive<Record<string, Moment>>({});
  const users = reactive<MomentUsers>({});
  const feed = reactive<Feed>({ ids: [], loaded: false, loading: false });
  const albums = reactive<Record<string, Album>>({});
  const notices = ref<MomentNotice[]>([]);
  const noticesCursor = ref<string>();
  const noticesLoaded = ref(false);
  const settings = ref<MomentSettings | null>(null);
  /** Bytes of the post being published that reached the server, of all. */
  const progress = ref<{ sent: number; total: number } | null>(null);
  const urls = new Map<string, Promise<{ url: string; expiresAt: number }>>();

  const myId = computed(() => session.me?.id ?? '');
  const feedPosts = computed(() => feed.ids.map((id) => posts[id]).filter((m) => m !== undefined));

  function keep(list: Moment[], people: MomentUsers): string[] {
    Object.assign(users, people);
    for (const m of list) posts[m.id] = m;
    return list.map((m) => m.id);
  }
  const merge = (ids: string[], more: string[]) => [...new Set([...ids, ...more])];

  /** The name to show for someone a page named ('' when none did). */
  const nameOf = (userId: string) => users[userId]?.name ?? '';

  /** The first page of the feed (`more`: the next one). Loading the first page clears the red dot. */
  async function loadFeed(more = false): Promise<void> {
    if (feed.loading || (more && !feed.nextCursor)) return;
    feed.loading = true;
    try {
      const page = await client.moments.timeline(more ? { cursor: feed.nextCursor! } : {});
      const ids = keep(page.moments, page.users);
      feed.ids = more ? merge(feed.ids, ids) : ids;
      feed.nextCursor = page.nextCursor;
      feed.loaded = true;
    } finally {
      feed.loading = false;
    }
  }

  async function loadAlbum(userId: string, more = false): Promise<void> {
    const had = albums[userId];
    if (more && !had?.nextCursor) return;
    const page = await client.moments.album(userId, more ? { cursor: had!.nextCursor! } : {});
    const ids = keep(page.moments, page.users);
    albums[userId] = {
      ids: more ? merge(had!.ids, ids) : ids,
      ...(page.cover && { cover: page.cover }),
      strangerView: page.strangerView,
      ...(page.nextCursor && { nextCursor: page.nextCursor }),
      loaded: true,
    };
  }

  /** One post (a notice or an album opens it); gone or hidden: dropped everywhere, and rethrown. */
  async function loadMoment(momentId: string): Promise<Moment> {
    try {
      const r = await client.moments.get(momentId);
      keep([r.moment], r.users);
      return r.moment;
    } catch (e) {
      if (e instanceof MyChatError && e.reason === 'NOT_FOUND') forget(momentId);
      throw e;
    }
  }

  function forget(momentId: string) {
    delete posts[momentId];
    feed.ids = feed.ids.filter((id) => id !== momentId);
    for (const a of Object.values(albums)) a.ids = a.ids.filter((id) => id !== momentId);
    notices.value = notices.value.filter((n) => n.momentId !== momentId);
  }

  async function like(momentId: string, on: boolean): Promise<void> {
    const m = posts[momentId];
    if (!m) return;
    const before = { likes: m.likes, likedByMe: m.likedByMe };
    // At once on screen; put back if the server says no.
    m.likedByMe = on;
    m.likes = on
      ? [...m.likes.filter((l) => l.userId !== myId.value), { userId: myId.value, createdAt: Date.now() }]
      : m.likes.filter((l) => l.userId !== myId.value);
    if (on && session.me) users[myId.value] ??= meAsUser();
    try {
      if (on) await client.moments.like(momentId);
      else await client.moments.unlike(momentId);
    } catch (e) {
      if (!(e instanceof MyChatError && e.reason === 'MOMENT_ALREADY_LIKED')) {
        Object.assign(m, before);
        throw e;
      }
    }
  }

  async function comment(momentId: string, text: string, replyTo?: string): Promise<void> {
    const r = await client.moments.comment(momentId, text, replyTo ? { replyTo } : {});
    Object.assign(users, r.users);
    const m = posts[momentId];
    if (m && !m.comments.some((c) => c.id === r.comment.id)) m.comments = [...m.comments, r.comment];
  }

  async function deleteComment(momentId: string, commentId: string): Promise<void> {
    await client.moments.deleteComment(commentId);
    const m = posts[momentId];
    if (m) m.comments = m.comments.filter((c) => c.id !== commentId);
    notices.value = notices.value.filter((n) => n.commentId !== commentId);
  }

  async function deleteMoment(momentId: string): Promise<void> {
    await client.moments.delete(momentId);
    forget(momentId);
  }

  function meAsUser() {
    const me = session.me!;
    return { id: me.id, nickname: me.nickname, avatarUrl: me.avatarUrl, remark: '', name: me.nickname };
  }

  /**
   * Uploads the draft's files (progress in `progress`; a video the browser may not play is
   * transcoded first), then posts it; the post goes on top of the feed and the own album.
   */
  async function publish(d: MomentDraft, signal?: AbortSignal): Promise<Moment> {
    const total = d.files.reduce((n, f) => n + f.blob.size, 0);
    const sent = d.files.map(() => 0);
    progress.value = { sent: 0, total };
    try {
      const ids = await Promise.all(
        d.files.map(async (f, i) => {
          const m = await client.media.upload(f.blob, {
            name: f.name,
            kind: f.kind,
            ...(signal && { signal }),
            onProgress: (n) => {
              sent[i] = n;
              progress.value = { sent: sent.reduce((a, b) => a + b, 0), total };
            },
          });
          if (m.status === 'ready') return m.id;
          return (await client.media.whenReady(m.id, signal ? { signal } : {})).id;
        }),
      );
      const video = d.files[0]?.kind === 'video';
      const { moment } = await client.moments.publish({
        text: d.text,
        // The same picture picked twice is one file on the server: posted once.
        ...(video ? { video: ids[0]! } : { images: [...new Set(ids)] }),
        ...(d.location && { location: d.location }),
        audience: d.audience,
        ...((d.audience === 'only' || d.audience === 'except') && {
          userIds: d.userIds,
          tagIds: d.tagIds ?? [],
        }),
        mentions: d.mentions,
        clientId: d.clientId,
      });
      if (session.me) users[myId.value] = users[myId.value] ?? meAsUser();
      posts[moment.id] = moment;
      if (feed.loaded) feed.ids = merge([moment.id], feed.ids);
      const own = albums[myId.value];
      if (own) own.ids = merge([moment.id], own.ids);
      return moment;
    } finally {
      progress.value = null;
    }
  }

  /** Notices, newest first; the first page marks them read (the list still shows which were new). */
  async function loadNotices(more = false): Promise<void> {
    if (more && !noticesCursor.value) return;
    const page = await client.moments.notices(more ? { cursor: noticesCursor.value! } : { markRead: true });
    Object.assign(users, page.users);
    notices.value = more ? [...notices.value, ...page.notices] : page.notices;
    noticesCursor.value = page.nextCursor;
    noticesLoaded.value = true;
  }

  /** A cached short-lived URL for a file of a post (or, with `cover`, a person's cover). */
  async function fileUrl(
    ref: { momentId: string } | { coverOf: string },
    media: MomentMedia,
    variant: MediaVariant,
    fresh = false,
  ): Promise<string> {
    // A video's picture is its poster; an image too small for a thumbnail is its own.
    const v: MediaVariant =
      variant === 'original'
        ? variant
        : media.kind === 'video'
          ? 'poster'
          : media.hasThumbnail
            ? 'thumbnail'
            : 'original';
    const owner = 'momentId' in ref ? ref.momentId : `cover:${ref.coverOf}`;
    const key = `${owner}:${media.mediaId}:${v}`;
    let p = urls.get(key);
    const cached = p && (await p.catch(() => undefined));
    if (fresh || !cached || cached.expiresAt - Date.now() < URL_MARGIN_MS) {
      p =
        'momentId' in ref
          ? client.moments.mediaUrl(ref.momentId, media.mediaId, { variant: v })
          : client.moments.coverUrl(ref.coverOf, media.mediaId, { variant: v });
      urls.set(key, p);
      p.catch(() => urls.delete(key));
    }
    return (await p!).url;
  }

  async function loadSettings(): Promise<MomentSettings> {
    return (settings.value = await client.moments.settings());
  }

  async function updateSettings(change: SettingsChange): Promise<MomentSettings> {
    settings.value = await client.moments.updateSettings(change);
    const own = albums[myId.value];
    if (own && change.cover !== undefined) {
      if (settings.value.cover) own.cover = settings.value.cover;
      else delete own.cover;
    }
    return settings.value;
  }

  /** Uploads a picture and makes it the album cover. */
  async function setCover(blob: Blob, name: string): Promise<void> {
    const m = await client.media.upload(blob, { name, kind: 'image' });
    await updateSettings({ cover: m.id });
    albums[myId.value] ??= { ids: [], strangerView: false, loaded: false };
    if (settings.value?.cover) albums[myId.value]!.cover = settings.value.cover;
  }

  client.moments.on('notice', (n, people) => {
    Object.assign(users, people);
    if (noticesLoaded.value && !notices.value.some((x) => x.id === n.id))
      notices.value = [n, ...notices.value];
    // A post on screen gets its new like or comment at once.
    if (posts[n.momentId]) void loadMoment(n.momentId).catch(() => undefined);
  });

  return {
    posts,
    users,
    feed,
    feedPosts,
    albums,
    notices,
    noticesCursor,
    settings,
    progress,
    myId,
    nameOf,
    loadFeed,
    loadAlbum,
    loadMoment,
    like,
    comment,
    deleteComment,
    deleteMoment,
    publish,
    loadNotices,
    fileUrl,
    loadSettings,
    updateSettings,
    setCover,
  };
});
