import type { Board, Post, SquareUsers, Thread, ThreadSort } from '@mychat/sdk';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { sdkClient } from '../../sdk/current-client.js';

/** The square's pages: boards, one board's threads, one thread's posts; names of everyone shown. */
export const useSquareStore = defineStore('square', () => {
  const client = sdkClient();
  const boards = ref<Board[]>([]);
  const isAdmin = ref(false);
  const users = ref<SquareUsers>({});
  const board = ref<Board>();
  const threads = ref<Thread[]>([]);
  const threadsCursor = ref<string>();
  const thread = ref<Thread>();
  const posts = ref<Post[]>([]);
  const postsCursor = ref<string>();
  const canModerate = ref(false);

  const remember = (u: SquareUsers) => (users.value = { ...users.value, ...u });
  const nameOf = (id: string) => users.value[id]?.remark || users.value[id]?.nickname || '';

  async function loadBoards() {
    const r = await client.square.boards();
    boards.value = r.boards;
    isAdmin.value = r.isAdmin;
  }

  async function loadThreads(boardId: string, sort: ThreadSort, more = false) {
    const r = await client.square.threads(boardId, { sort, ...(more && { cursor: threadsCursor.value }) });
    remember(r.users);
    board.value = r.board;
    threads.value = more ? [...threads.value, ...r.threads] : r.threads;
    threadsCursor.value = r.nextCursor;
  }

  async function loadThread(threadId: string, more = false) {
    const r = await client.square.thread(threadId, more ? { cursor: postsCursor.value } : {});
    remember(r.users);
    thread.value = r.thread;
    board.value = r.board;
    canModerate.value = r.canModerate;
    posts.value = more ? [...posts.value, ...r.posts] : r.posts;
    postsCursor.value = r.nextCursor;
  }

  /** The images of a post, uploaded through the media service (each ready before the post). */
  async function upload(files: readonly File[]): Promise<string[]> {
    return Promise.all(
      files.map(async (f) => {
        const m = await client.media.upload(f, { name: f.name, kind: 'image' });
        return m.status === 'ready' ? m.id : (await client.media.whenReady(m.id)).id;
      }),
    );
  }

  async function createThread(
    boardId: string,
    title: string,
    body: string,
    files: readonly File[] = [],
    mentions: string[] = [],
  ) {
    const images = await upload(files);
    return client.square.createThread(boardId, title, { body, images, mentions });
  }

  async function reply(
    threadId: string,
    body: string,
    quotePostId?: string,
    files: readonly File[] = [],
    mentions: string[] = [],
  ) {
    const images = await upload(files);
    const p = await client.square.reply(threadId, {
      body,
      images,
      mentions,
      ...(quotePostId && { quotePostId }),
    });
    if (!postsCursor.value) posts.value = [...posts.value, p];
    return p;
  }

  async function like(p: Post) {
    const count = await client.square.like(p.id, !p.likedByMe);
    posts.value = posts.value.map((x) =>
      x.id === p.id ? { ...x, likeCount: count, likedByMe: !p.likedByMe } : x,
    );
  }

  async function follow(t: Thread) {
    await client.square.follow(t.id, !t.following);
    thread.value = { ...t, following: !t.following };
  }

  const report = (postId: string, reason: string) => client.square.report(postId, reason);

  async function pin(t: Thread) {
    await client.square.pin(t.id, !t.pinned);
    thread.value = { ...t, pinned: !t.pinned };
  }

  async function lock(t: Thread) {
    await client.square.lock(t.id, !t.locked);
    thread.value = { ...t, locked: !t.locked };
  }

  async function remove(p: Post, reason: string) {
    await client.square.remove(p.id, reason);
    posts.value = posts.value.map((x) =>
      x.id === p.id ? { ...x, removed: true, body: '', html: '', removedReason: reason } : x,
    );
  }

  return {
    boards,
    isAdmin,
    users,
    board,
    threads,
    threadsCursor,
    thread,
    posts,
    postsCursor,
    canModerate,
    nameOf,
    loadBoards,
    loadThreads,
    loadThread,
    createThread,
    reply,
    like,
    follow,
    report,
    pin,
    lock,
    remove,
  };
});
