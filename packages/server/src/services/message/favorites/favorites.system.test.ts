import type { Client } from '@connectrpc/connect';
import { favorites, media } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason } from '../../../../test/helpers/auth-helpers.js';
import {
  befriend,
  CONTACTS_SETUPS,
  newUser,
  sendText,
  setupAvailable,
  startContactsEnv,
  type ContactsEnv,
  type TestUser,
} from '../../../../test/helpers/contacts-helpers.js';
import { noisyPng } from '../../../../test/helpers/media-fixtures.js';
import { get, uploadOk } from '../../../../test/helpers/media-helpers.js';

const MAX = 6;

/**
 * Favourites (收藏) through the public edge: snapshots of messages the caller sees, their
 * files kept as the caller's own copies (so a recall or the sender leaving changes nothing),
 * list, filter, search, tags, delete; and every way to reach someone else's.
 */
for (const setup of CONTACTS_SETUPS.filter((s) => !s.fakeMessage)) {
  const ok = await setupAvailable(setup);

  describe.skipIf(!ok)(`favourites on ${setup.name}`, () => {
    let env: ContactsEnv;
    let fav: Client<typeof favorites.FavoritesService>;
    beforeAll(async () => {
      env = await startContactsEnv(setup, { message: { favoritesMax: MAX } });
      fav = env.server.client(favorites.FavoritesService);
    });
    afterAll(() => env?.stop());

    const token = (u: TestUser) => u.h.headers.authorization.slice('Bearer '.length);
    let n = 0;
    async function sendImage(u: TestUser, conversationId: string) {
      n++;
      const m = await uploadOk(env.server.baseUrl, token(u), 'image', await noisyPng(30 + n, 20), 'p.png');
      const r = await env.messages.sendMessage(
        {
          conversationId,
          clientMsgId: `img-${process.pid}-${n}`,
          content: { body: { case: 'image', value: { images: [{ mediaId: m.id }] } } },
        },
        u.h,
      );
      return { seq: r.message!.seq, mediaId: m.id };
    }
    async function pair() {
      const ann = await newUser(env, 'Ann');
      const bob = await newUser(env, 'Bob');
      const conv = await befriend(env.api, ann, bob);
      return { ann, bob, conv };
    }

    it('saves text, links and images as snapshots that outlive a recall, with the files as the saver’s own copies', async () => {
      const { ann, bob, conv } = await pair();
      const text = (await sendText(env, bob, conv, 'Meet at the Lake Café')).message!;
      const link = (await sendText(env, bob, conv, 'see https://example.com/map')).message!;
      const img = await sendImage(bob, conv);
      const usedBefore = Number((await env.server.client(media.MediaService).getQuota({}, ann.h)).usedBytes);

      const t = (await fav.addFavorite({ conversationId: conv, seq: text.seq, tags: ['plans'] }, ann.h))
        .favorite!;
      expect(t).toMatchObject({
        kind: 'text',
        senderId: bob.id,
        conversationId: conv,
        seq: text.seq,
        tags: ['plans'],
      });
      const l = (await fav.addFavorite({ conversationId: conv, seq: link.seq }, ann.h)).favorite!;
      expect(l.kind).toBe('link');
      const i = (await fav.addFavorite({ conversationId: conv, seq: img.seq }, ann.h)).favorite!;
      expect(i.kind).toBe('image');
      const copy = i.content!.body.case === 'image' ? i.content!.body.value.images[0]!.mediaId : '';
      expect(copy).toMatch(/^\d+$/);
      expect(copy).not.toBe(img.mediaId);
      // The copy counts in Ann's quota.
      const usedAfter = Number((await env.server.client(media.MediaService).getQuota({}, ann.h)).usedBytes);
      expect(usedAfter).toBeGreaterThan(usedBefore);
      // Saving again gives the first favourite.
      expect((await fav.addFavorite({ conversationId: conv, seq: img.seq }, ann.h)).favorite!.id).toBe(i.id);

      // Bob recalls both; Ann's favourites stay, with the picture.
      await env.messages.recallMessage({ conversationId: conv, seq: img.seq }, bob.h);
      await env.messages.recallMessage({ conversationId: conv, seq: text.seq }, bob.h);
      const list = await fav.listFavorites({}, ann.h);
      expect(list.favorites.map((f) => f.id)).toEqual([i.id, l.id, t.id]);
      expect(list.favorites[2]!.content!.body).toMatchObject({
        case: 'text',
        value: { text: 'Meet at the Lake Café' },
      });
      expect(list.tags).toEqual(['plans']);
      const url = await fav.getFavoriteMediaUrl(
        { favoriteId: i.id, mediaId: copy, variant: media.MediaVariant.THUMBNAIL },
        ann.h,
      );
      expect((await get(new URL(url.url, env.server.baseUrl).toString())).status).toBe(200);
      // A recalled message cannot be saved any more.
      await expectReason(fav.addFavorite({ conversationId: conv, seq: text.seq + 100 }, ann.h), 'NOT_FOUND');
    });

    it('filters by kind and tag, searches text and tags, pages, re-tags and deletes', async () => {
      const { ann, bob, conv } = await pair();
      const seqs: number[] = [];
      for (const s of ['apple pie 100%', 'banana', 'Cherry tart'])
        seqs.push((await sendText(env, bob, conv, s)).message!.seq);
      const img = await sendImage(bob, conv);
      const ids: string[] = [];
      for (const seq of seqs)
        ids.push((await fav.addFavorite({ conversationId: conv, seq }, ann.h)).favorite!.id);
      const pic = (await fav.addFavorite({ conversationId: conv, seq: img.seq, tags: ['food'] }, ann.h))
        .favorite!;

      expect((await fav.listFavorites({ kind: 'image' }, ann.h)).favorites.map((f) => f.id)).toEqual([
        pic.id,
      ]);
      expect((await fav.listFavorites({ query: 'CHERRY' }, ann.h)).favorites.map((f) => f.id)).toEqual([
        ids[2],
      ]);
      // LIKE wildcards in a query are literal.
      expect((await fav.listFavorites({ query: '100%' }, ann.h)).favorites.map((f) => f.id)).toEqual([
        ids[0],
      ]);
      expect((await fav.listFavorites({ query: '_' }, ann.h)).favorites).toEqual([]);
      await fav.setFavoriteTags({ favoriteId: ids[1]!, tags: ['food', 'fruit'] }, ann.h);
      expect((await fav.listFavorites({ tag: 'food' }, ann.h)).favorites.map((f) => f.id)).toEqual([
        pic.id,
        ids[1],
      ]);
      expect((await fav.listFavorites({ query: 'fruit' }, ann.h)).favorites.map((f) => f.id)).toEqual([
        ids[1],
      ]);
      const p1 = await fav.listFavorites({ limit: 2 }, ann.h);
      expect(p1.favorites.map((f) => f.id)).toEqual([pic.id, ids[2]]);
      const p2 = await fav.listFavorites({ limit: 2, cursor: p1.nextCursor }, ann.h);
      expect(p2.favorites.map((f) => f.id)).toEqual([ids[1], ids[0]]);
      expect(p2.nextCursor).toBe('');

      await fav.deleteFavorite({ favoriteId: pic.id }, ann.h);
      await fav.deleteFavorite({ favoriteId: pic.id }, ann.h); // idempotent
      expect((await fav.listFavorites({ kind: 'image' }, ann.h)).favorites).toEqual([]);
      const copy = pic.content!.body.case === 'image' ? pic.content!.body.value.images[0]!.mediaId : '';
      await expectReason(fav.getFavoriteMediaUrl({ favoriteId: pic.id, mediaId: copy }, ann.h), 'NOT_FOUND');
    });

    it('nobody reaches another person’s favourites, or saves a message they do not see', async () => {
      const { ann, bob, conv } = await pair();
      const eve = await newUser(env, 'Eve');
      const img = await sendImage(bob, conv);
      await expectReason(fav.addFavorite({ conversationId: conv, seq: img.seq }, eve.h), 'NOT_FOUND');
      const f = (await fav.addFavorite({ conversationId: conv, seq: img.seq }, ann.h)).favorite!;
      const copy = f.content!.body.case === 'image' ? f.content!.body.value.images[0]!.mediaId : '';
      await expectReason(fav.getFavoriteMediaUrl({ favoriteId: f.id, mediaId: copy }, eve.h), 'NOT_FOUND');
      await expectReason(fav.setFavoriteTags({ favoriteId: f.id, tags: ['mine'] }, eve.h), 'NOT_FOUND');
      await fav.deleteFavorite({ favoriteId: f.id }, eve.h); // nothing happens
      expect((await fav.listFavorites({}, eve.h)).favorites).toEqual([]);
      expect((await fav.listFavorites({}, ann.h)).favorites.map((x) => x.id)).toEqual([f.id]);
      // Ann cannot reach Bob's original through her favourite, only her copy.
      await expectReason(
        fav.getFavoriteMediaUrl({ favoriteId: f.id, mediaId: img.mediaId }, ann.h),
        'NOT_FOUND',
      );
      // Bad input.
      await expectReason(fav.addFavorite({ conversationId: 'x', seq: 1 }, ann.h), 'INVALID_ARGUMENT');
      await expectReason(fav.addFavorite({ conversationId: conv, seq: 0 }, ann.h), 'INVALID_ARGUMENT');
      await expectReason(
        fav.addFavorite({ conversationId: conv, seq: img.seq, tags: ['a,b'] }, ann.h),
        'INVALID_ARGUMENT',
      );
      await expectReason(
        fav.setFavoriteTags({ favoriteId: f.id, tags: Array.from({ length: 11 }, (_, k) => `t${k}`) }, ann.h),
        'INVALID_ARGUMENT',
      );
      await expectReason(fav.listFavorites({ limit: 101 }, ann.h), 'INVALID_ARGUMENT');
      await expectReason(fav.listFavorites({ kind: 'IMAGE; drop' }, ann.h), 'INVALID_ARGUMENT');
    });

    it('a favourite outlives the sender leaving the group; the count is capped', async () => {
      const { ann, bob } = await pair();
      const { group } = await env.api.createGroup({ name: 'Trip', memberIds: [bob.id] }, ann.h);
      const img = await sendImage(bob, group!.id);
      const f = (await fav.addFavorite({ conversationId: group!.id, seq: img.seq }, ann.h)).favorite!;
      await env.api.leaveGroup({ groupId: group!.id }, bob.h);
      const copy = f.content!.body.case === 'image' ? f.content!.body.value.images[0]!.mediaId : '';
      const url = await fav.getFavoriteMediaUrl({ favoriteId: f.id, mediaId: copy }, ann.h);
      expect((await get(new URL(url.url, env.server.baseUrl).toString())).status).toBe(200);

      // MAX favourites at most: the next one is FAVORITES_FULL.
      const conv = await befriend(env.api, ann, await newUser(env, 'Cat'));
      for (let k = 1; k < MAX; k++) {
        const m = (await sendText(env, ann, conv, `note ${k}`)).message!;
        await fav.addFavorite({ conversationId: conv, seq: m.seq }, ann.h);
      }
      const over = (await sendText(env, ann, conv, 'one too many')).message!;
      await expectReason(fav.addFavorite({ conversationId: conv, seq: over.seq }, ann.h), 'FAVORITES_FULL');
    });
  });
}
