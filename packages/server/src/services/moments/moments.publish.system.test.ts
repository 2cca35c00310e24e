import { media, moments } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
import type { TestUser } from '../../../test/helpers/contacts-helpers.js';
import { h264Mp4, noisyPng } from '../../../test/helpers/media-fixtures.js';
import { get, uploadOk } from '../../../test/helpers/media-helpers.js';
import {
  allFriends,
  friendsWith,
  MOMENTS_SETUPS,
  people,
  publish,
  startMomentsEnv,
  tokenOf,
  type MomentsEnv,
} from './moments.test-helpers.js';

const { Audience: A } = moments;
const { MediaVariant: V } = media;

/**
 * Publishing: files (the author's own, ready, images or one video), their download URLs only
 * for people who may see the post, covers, idempotent retries, and every kind of bad input
 * refused with its code and nothing half-written.
 */
describe('publishing moments with files', () => {
  let env: MomentsEnv;
  beforeAll(async () => {
    env = await startMomentsEnv(MOMENTS_SETUPS[0]!);
  });
  afterAll(() => env?.stop());

  let n = 0;
  const image = async (u: TestUser) =>
    (await uploadOk(env.server.baseUrl, tokenOf(u), 'image', await noisyPng(40 + n++, 30), 'p.png')).id;
  const grants = async (mediaId: string) =>
    env.store.db
      .selectFrom('media_grants' as never)
      .selectAll()
      .where('media_id' as never, '=', mediaId as never)
      .execute();
  const url = (u: TestUser, momentId: string, mediaId: string, variant = V.THUMBNAIL) =>
    env.moments.getMomentMediaUrl({ momentId, mediaId, variant }, u.h);

  it('stores the server’s description of 9 images and signs their URLs only for people who may see the post', async () => {
    const [ann, ben, cat, dan, sam] = await people(env, 'Ann', 'Ben', 'Cat', 'Dan', 'Sam');
    await friendsWith(env, ann, ben, cat, dan);
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) ids.push(await image(ann));
    const p = await publish(env, ann, {
      text: 'nine',
      imageIds: ids,
      visibility: { audience: A.ONLY, userIds: [ben.id, cat.id] },
    });
    expect(p.media.map((m) => m.mediaId)).toEqual(ids);
    expect(p.media[0]).toMatchObject({ kind: media.MediaKind.IMAGE, mime: 'image/png', hasThumbnail: true });
    expect(p.media[0]!.placeholder).toMatch(/^data:image\/webp;base64,/);

    const signed = await url(ben, p.id, ids[3]!);
    const got = await get(new URL(signed.url, env.server.baseUrl).toString());
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('image/webp');
    expect(
      (await get(new URL((await url(ann, p.id, ids[0]!, V.ORIGINAL)).url, env.server.baseUrl).toString()))
        .status,
    ).toBe(200);

    // Dan (a friend outside the audience) and Sam (a stranger) get nothing; nor does a file the
    // post does not carry, and the media service itself answers 403 to anyone but the owner.
    await expectReason(url(dan, p.id, ids[0]!), 'NOT_FOUND');
    await expectReason(url(sam, p.id, ids[0]!), 'NOT_FOUND');
    const elsewhere = await image(ann);
    await expectReason(url(ben, p.id, elsewhere), 'NOT_FOUND');
    const direct = await expectReason(
      env.server.client(media.MediaService).getDownloadUrl({ mediaId: ids[0]!, variant: V.THUMBNAIL }, dan.h),
      'PERMISSION_DENIED',
    );
    expect(direct.code).toBe(7); // PermissionDenied: HTTP 403

    // Deleting the post lets go of its files: nothing else uses them, so they are freed.
    expect(await grants(ids[0]!)).toHaveLength(1);
    await env.moments.deleteMoment({ momentId: p.id }, ann.h);
    expect(await grants(ids[0]!)).toHaveLength(0);
    await expectReason(
      env.server.client(media.MediaService).getMedia({ mediaId: ids[0]! }, ann.h),
      'NOT_FOUND',
    );
  });

  it('takes one ready video, and a cover that strangers may see but blocked people may not', async () => {
    const [ann, ben, kim] = await people(env, 'Ann', 'Ben', 'Kim');
    await allFriends(env, ann, ben);
    const video = await uploadOk(env.server.baseUrl, tokenOf(ann), 'video', await h264Mp4(1), 'v.mp4');
    const p = await publish(env, ann, { videoId: video.id });
    expect(p.media).toHaveLength(1);
    expect(p.media[0]).toMatchObject({ kind: media.MediaKind.VIDEO, hasPoster: true });
    expect(p.media[0]!.durationMs).toBeGreaterThan(500);
    expect((await url(ben, p.id, video.id, V.POSTER)).url).toMatch(/\/media\/v1\/blob\//);

    const cover = await image(ann);
    const s = await env.moments.updateMomentSettings({ coverMediaId: cover }, ann.h);
    expect(s.settings!.cover!.mediaId).toBe(cover);
    const album = await env.moments.getAlbum({ userId: ann.id }, kim.h);
    expect(album.cover!.mediaId).toBe(cover);
    const coverUrl = (u: TestUser) =>
      env.moments.getMomentMediaUrl({ coverUserId: ann.id, mediaId: cover, variant: V.ORIGINAL }, u.h);
    expect((await get(new URL((await coverUrl(kim)).url, env.server.baseUrl).toString())).status).toBe(200);
    await env.api.blockUser({ userId: kim.id }, ann.h);
    await expectReason(coverUrl(kim), 'NOT_FOUND');
    expect((await env.moments.getAlbum({ userId: ann.id }, kim.h)).cover).toBeUndefined();
    // Nor does someone Ann hides her moments from.
    await env.moments.updateMomentSettings({ hideFromAdd: [ben.id] }, ann.h);
    await expectReason(coverUrl(ben), 'NOT_FOUND');
    expect((await env.moments.getAlbum({ userId: ann.id }, ben.h)).cover).toBeUndefined();
    await env.moments.updateMomentSettings({ hideFromRemove: [ben.id] }, ann.h);
    expect((await get(new URL((await coverUrl(ben)).url, env.server.baseUrl).toString())).status).toBe(200);
    // A new cover lets go of the old one.
    const next = await image(ann);
    await env.moments.updateMomentSettings({ coverMediaId: next }, ann.h);
    expect(await grants(cover)).toHaveLength(0);
    await expectReason(coverUrl(ben), 'NOT_FOUND');
    await env.moments.updateMomentSettings({ coverMediaId: '' }, ann.h);
    expect((await env.moments.getMomentSettings({}, ann.h)).settings!.cover).toBeUndefined();
  });

  it('answers a retry with the same client id with the first post', async () => {
    const [ann] = await people(env, 'Ann');
    const first = await env.moments.publishMoment({ text: 'once', clientId: 'c-1' }, ann.h);
    const again = await env.moments.publishMoment({ text: 'once', clientId: 'c-1' }, ann.h);
    expect(first.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    expect(again.moment!.id).toBe(first.moment!.id);
    const both = await Promise.all(
      [1, 2].map(() => env.moments.publishMoment({ text: 'race', clientId: 'c-2' }, ann.h)),
    );
    expect(both[0]!.moment!.id).toBe(both[1]!.moment!.id);
    const album = await env.moments.getAlbum({ userId: ann.id }, ann.h);
    expect(album.moments.map((m) => m.text)).toEqual(['race', 'once']);
  });

  it('refuses bad posts with a stable code and writes nothing', async () => {
    const [ann, ben, sam] = await people(env, 'Ann', 'Ben', 'Sam');
    await allFriends(env, ann, ben);
    const mine = await image(ann);
    const bens = await image(ben);
    const tenImages = await Promise.all(Array.from({ length: 10 }, () => image(ann)));
    const video = await uploadOk(env.server.baseUrl, tokenOf(ann), 'video', await h264Mp4(1), 'v.mp4');
    const cases: [string, Parameters<typeof env.moments.publishMoment>[0], string][] = [
      ['empty', {}, 'MOMENT_EMPTY'],
      ['blank text', { text: ' \n\t ' }, 'MOMENT_EMPTY'],
      ['ten images', { imageIds: tenImages }, 'MOMENT_TOO_MANY_MEDIA'],
      ['a video and an image', { videoId: video.id, imageIds: [mine] }, 'MOMENT_TOO_MANY_MEDIA'],
      ["someone else's image", { imageIds: [mine, bens] }, 'PERMISSION_DENIED'],
      ['an unknown image', { imageIds: ['999999999999'] }, 'NOT_FOUND'],
      ['a video as an image', { imageIds: [video.id] }, 'INVALID_ARGUMENT'],
      ['an image as a video', { videoId: mine }, 'INVALID_ARGUMENT'],
      ['a bad id', { imageIds: ['01'] }, 'INVALID_ARGUMENT'],
      ['an image twice', { imageIds: [mine, mine] }, 'INVALID_ARGUMENT'],
      ['2 001 characters', { text: 'x'.repeat(2001) }, 'FIELD_TOO_LONG'],
      ['a control character', { text: 'a\u0007b' }, 'INVALID_ARGUMENT'],
      ['a long location', { text: 'x', location: 'y'.repeat(101) }, 'FIELD_TOO_LONG'],
      ['a javascript link', { text: 'x', link: { url: 'javascript:alert(1)' } }, 'INVALID_ARGUMENT'],
      ['a non-URL link', { text: 'x', link: { url: 'not a url' } }, 'INVALID_ARGUMENT'],
      [
        'a stranger in the list',
        { text: 'x', visibility: { audience: A.ONLY, userIds: [sam.id] } },
        'NOT_FRIENDS',
      ],
      ['an empty only-list', { text: 'x', visibility: { audience: A.ONLY } }, 'INVALID_ARGUMENT'],
      [
        'a list for all friends',
        { text: 'x', visibility: { audience: A.FRIENDS, userIds: [ben.id] } },
        'INVALID_ARGUMENT',
      ],
      ['an unknown audience', { text: 'x', visibility: { audience: 9 } }, 'INVALID_ARGUMENT'],
      ['eleven reminded', { text: 'x', mentionUserIds: tenImages.concat(mine) }, 'MOMENT_TOO_MANY_MENTIONS'],
      ['a stranger reminded', { text: 'x', mentionUserIds: [sam.id] }, 'INVALID_ARGUMENT'],
      [
        'a friend reminded of a private post',
        { text: 'x', mentionUserIds: [ben.id], visibility: { audience: A.PRIVATE } },
        'INVALID_ARGUMENT',
      ],
      ['a bad client id', { text: 'x', clientId: 'has space' }, 'INVALID_ARGUMENT'],
    ];
    for (const [what, req, reason] of cases) {
      const err = await expectReason(env.moments.publishMoment(req, ann.h), reason);
      expect(err.message, what).not.toMatch(/internal/);
    }
    expect((await env.moments.getAlbum({ userId: ann.id }, ann.h)).moments).toEqual([]);
    // The refused posts left no hold on the author's files.
    expect(await grants(mine)).toEqual([]);
    expect((await env.moments.listMomentNotices({}, ben.h)).notices).toEqual([]);

    for (const [call, reason] of [
      [env.moments.getTimeline({ limit: 51 }, ann.h), 'INVALID_ARGUMENT'],
      [env.moments.getTimeline({ cursor: 'abc' }, ann.h), 'INVALID_ARGUMENT'],
      [env.moments.getAlbum({ userId: '' }, ann.h), 'INVALID_ARGUMENT'],
      [env.moments.listMomentNotices({ limit: 101 }, ann.h), 'INVALID_ARGUMENT'],
      [env.moments.getMomentMediaUrl({ mediaId: mine }, ann.h), 'INVALID_ARGUMENT'],
      [
        env.moments.getMomentMediaUrl({ momentId: '5', mediaId: mine, variant: 7 }, ann.h),
        'INVALID_ARGUMENT',
      ],
      [env.moments.updateMomentSettings({ albumWindow: 9 }, ann.h), 'INVALID_ARGUMENT'],
      [env.moments.updateMomentSettings({ hideFromAdd: [ann.id] }, ann.h), 'CANNOT_TARGET_SELF'],
      [
        env.moments.updateMomentSettings({ muteAdd: [ben.id], muteRemove: [ben.id] }, ann.h),
        'INVALID_ARGUMENT',
      ],
      [env.moments.updateMomentSettings({ coverMediaId: bens }, ann.h), 'PERMISSION_DENIED'],
      [env.moments.updateMomentSettings({ coverMediaId: video.id }, ann.h), 'INVALID_ARGUMENT'],
      [env.moments.getTimeline({}, { headers: {} }), 'UNAUTHENTICATED'],
    ] as const)
      await expectReason(call, reason);
  });
});
