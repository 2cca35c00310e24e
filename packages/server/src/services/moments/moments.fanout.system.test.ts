import { auth, moments } from '@mychat/protocol';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../app.js';
import { connectAuthed, is } from '../../gateway/ws/ws.test-helpers.js';
import { manualClock } from '../../kernel/clock.js';
import type { TestUser } from '../../../test/helpers/contacts-helpers.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';
import { bearer, signUp } from '../../../test/helpers/auth-helpers.js';
import { MomentsStore } from './moments.repository.js';
import {
  allFriends,
  fannedOut,
  feedIds,
  friendsWith,
  MOMENTS_SETUPS,
  people,
  publish,
  startMomentsEnv,
  tokenOf,
  type MomentsEnv,
} from './moments.test-helpers.js';

const DAY = 86_400_000;

/** The pointers the fan-out (or a pull) wrote into a reader's feed, newest first. */
const pointers = async (env: MomentsEnv, u: TestUser) =>
  (await env.store.posts.timeline(u.id, '', 100)).map((r) => r.momentId);

/**
 * Push and pull: the worker writes pointers for friends in the audience who read their feed
 * lately (in batches), and nobody else; those it skipped, and new friends, get the posts by
 * pulling when they read; removed friends stop seeing them at once.
 */
describe('moments fan-out and pull', () => {
  let env: MomentsEnv;
  const clock = manualClock();
  beforeAll(async () => {
    // Batches of 2, so a post to 5 friends takes 3 statements.
    env = await startMomentsEnv(MOMENTS_SETUPS[0]!, clock, {
      moments: { fanoutPollMs: 50, fanoutBatchSize: 2 },
    });
  });
  afterAll(() => env?.stop());

  it('writes pointers for active friends in the audience only, in batches', async () => {
    const [ann, ...friends] = await people(env, 'Ann', 'B1', 'B2', 'B3', 'B4', 'B5', 'Out');
    await friendsWith(env, ann, ...friends);
    const out = friends.pop()!;
    for (const f of [...friends, out]) await feedIds(env, f); // everyone has read their feed once
    const p = await publish(env, ann, {
      text: 'all but Out',
      visibility: { audience: moments.Audience.EXCEPT, userIds: [out.id] },
    });
    const secret = await publish(env, ann, {
      text: 'mine',
      visibility: { audience: moments.Audience.PRIVATE },
    });
    await fannedOut(env);
    for (const f of friends) expect(await pointers(env, f), f.nickname).toEqual([p.id]);
    expect(await pointers(env, out)).toEqual([]);
    expect((await pointers(env, ann)).sort()).toEqual([p.id, secret.id].sort());
  });

  it('skips friends idle for 30 days; they get the post by pulling when they come back', async () => {
    const [ann, ida, act] = await people(env, 'Ann', 'Ida', 'Act');
    await friendsWith(env, ann, ida, act);
    await feedIds(env, ida);
    clock.advance(31 * DAY);
    await feedIds(env, act);
    const p = await publish(env, ann, { text: 'while Ida was away' });
    await fannedOut(env);
    expect(await pointers(env, act)).toEqual([p.id]);
    expect(await pointers(env, ida)).toEqual([]);
    expect(await feedIds(env, ida)).toEqual([p.id]);
    expect(await pointers(env, ida)).toEqual([p.id]);
    // Back and active again: the next post is pushed to her.
    const q = await publish(env, ann, { text: 'welcome back' });
    await fannedOut(env);
    expect(await pointers(env, ida)).toEqual([q.id, p.id]);
  });

  it('shows a new friend the posts made before the friendship, and hides them from a removed one', async () => {
    const [ann, old, neu] = await people(env, 'Ann', 'Old', 'New');
    await friendsWith(env, ann, old);
    await feedIds(env, old);
    await feedIds(env, neu);
    const p = await publish(env, ann, { text: 'before you came' });
    await fannedOut(env);
    expect(await pointers(env, neu)).toEqual([]);
    clock.advance(60_000);
    await allFriends(env, ann, neu);
    expect(await feedIds(env, neu)).toEqual([p.id]);

    expect(await feedIds(env, old)).toEqual([p.id]);
    await env.api.deleteFriend({ userId: old.id }, ann.h);
    expect(await feedIds(env, old)).toEqual([]);
    // The pointer is still there; the read decides. Friends again: it shows again.
    expect(await pointers(env, old)).toEqual([p.id]);
    await allFriends(env, ann, old);
    expect(await feedIds(env, old)).toEqual([p.id]);
  });

  it('pages the feed newest first with a cursor, skipping posts the reader may not see', async () => {
    const [ann, ben] = await people(env, 'Ann', 'Ben');
    await friendsWith(env, ann, ben);
    await feedIds(env, ben);
    const made: string[] = [];
    for (let i = 0; i < 7; i++) {
      made.push((await publish(env, ann, { text: `p${i}` })).id);
      await publish(env, ann, { text: `hidden ${i}`, visibility: { audience: moments.Audience.PRIVATE } });
    }
    await fannedOut(env);
    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; page < 5; page++) {
      const r = await env.moments.getTimeline({ limit: 3, cursor }, ben.h);
      seen.push(...r.moments.map((m) => m.id));
      cursor = r.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(made.reverse());
    expect(cursor).toBe('');
  });

  it('drops the pointers of a deleted post as they are met, and a deleted post is never fanned out', async () => {
    const [ann, ben] = await people(env, 'Ann', 'Ben');
    await friendsWith(env, ann, ben);
    await feedIds(env, ben);
    const p = await publish(env, ann, { text: 'soon gone' });
    await env.moments.deleteMoment({ momentId: p.id }, ann.h);
    await fannedOut(env);
    expect(await pointers(env, ben)).toEqual([]);
    expect(await feedIds(env, ben)).toEqual([]);
    // A pointer left behind (a fan-out racing the delete) goes on the next read.
    await env.store.posts.addPointers([{ viewerId: ben.id, momentId: '77777777777', authorId: ann.id }]);
    expect(await feedIds(env, ben)).toEqual([]);
    expect(await pointers(env, ben)).toEqual([]);
  });
});

describe('moments live hints and notices', () => {
  let env: MomentsEnv;
  beforeAll(async () => {
    env = await startMomentsEnv(MOMENTS_SETUPS[0]!);
  });
  afterAll(() => env?.stop());

  it('hints online friends in the audience with the author’s avatar, and pushes notices live', async () => {
    const [ann, ben, cat] = await people(env, 'Ann', 'Ben', 'Cat');
    await friendsWith(env, ann, ben, cat);
    await env.authApi.updateProfile({ avatarUrl: 'https://example.com/ann.png' }, ann.h);
    const [bs, cs, as] = await Promise.all([ben, cat, ann].map((u) => connectAuthed(env.server, tokenOf(u))));
    const p = await publish(env, ann, {
      text: 'for Ben',
      visibility: { audience: moments.Audience.ONLY, userIds: [ben.id] },
    });
    const hint = await bs!.next(is('momentHint'), 5000);
    expect(hint.frame.body.value).toMatchObject({
      momentId: p.id,
      authorId: ann.id,
      authorAvatarUrl: 'https://example.com/ann.png',
    });
    await expect(cs!.next(is('momentHint'), 500)).rejects.toThrow(/no matching frame/);

    await env.moments.commentMoment({ momentId: p.id, text: 'nice' }, ben.h);
    const notice = await as!.next(is('momentNotice'), 5000);
    const ev = notice.frame.body.value as moments.MomentNoticeEvent;
    expect(ev.notice).toMatchObject({
      kind: moments.NoticeKind.COMMENT,
      actorId: ben.id,
      text: 'nice',
      momentText: 'for Ben',
    });
    expect(ev.unreadCount).toBe(1);
    expect(ev.users.map((u) => u.nickname)).toEqual(['Ben']);
    for (const s of [as, bs, cs]) s!.ws.close();
  });
});

/**
 * The fan-out runs in the worker: a server without one leaves posts in the outbox; a process
 * started later with `--target=worker` on the same database writes them out.
 */
describe('moments fan-out in a worker of its own', () => {
  let server: TestServer;
  let worker: App | undefined;
  afterAll(async () => {
    await worker?.stop();
    await server?.stop();
  });

  it('is done by a worker started later', async () => {
    server = await startTestServer({
      targets: ['gateway', 'auth', 'contacts', 'message', 'media', 'moments'],
    });
    const authApi = server.client(auth.AuthService);
    const api = server.client(moments.MomentsService);
    const users = [];
    for (const nickname of ['Ann', 'Ben']) {
      const { session } = await signUp(server, authApi, { nickname });
      users.push({ id: session.user!.id, h: bearer(session.accessToken) });
    }
    const [ann, ben] = users as [(typeof users)[0], (typeof users)[0]];
    const { contacts } = await import('@mychat/protocol');
    const c = server.client(contacts.ContactsService);
    const req = await c.sendFriendRequest({ userId: ben.id }, ann.h);
    await c.respondFriendRequest({ requestId: req.request!.id, action: 'accept' }, ben.h);
    await api.getTimeline({}, ben.h);
    const p = (await api.publishMoment({ text: 'queued' }, ann.h)).moment!;
    const store = MomentsStore.of(server.app.value('sql'));
    await new Promise((r) => setTimeout(r, 300));
    expect(await store.posts.pending()).toBe(1);

    worker = createApp({
      targets: ['worker'],
      logDestination: pino.destination('/dev/null'),
      config: {
        env: {},
        overrides: {
          dataDir: server.dataDir,
          http: { port: 0 },
          rpc: { port: 0, peers: { contacts: `http://127.0.0.1:${server.app.value('rpc-server').port}` } },
          moments: { fanoutPollMs: 50 },
        },
      },
    });
    await worker.start();
    await expect.poll(() => store.posts.pending(), { timeout: 10_000 }).toBe(0);
    expect((await store.posts.timeline(ben.id, '', 10)).map((r) => r.momentId)).toEqual([p.id]);
  });
});
