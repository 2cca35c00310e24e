import { contacts } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
import {
  befriend,
  CONTACTS_SETUPS,
  newUser,
  setupAvailable,
  startContactsEnv,
  type ContactsEnv,
  type TestUser,
} from '../../../test/helpers/contacts-helpers.js';
import { noisyPng } from '../../../test/helpers/media-fixtures.js';
import { get, uploadOk } from '../../../test/helpers/media-helpers.js';

const { GroupRole: R } = contacts;

/**
 * Profile pictures of people and groups: set from one's own square upload, served without
 * signing in at the stored path (and only for a file held as that holder's picture), let go
 * when replaced; a group's changed by its owner and admins only.
 */
for (const setup of CONTACTS_SETUPS.filter((s) => !s.fakeMessage)) {
  const ok = await setupAvailable(setup);

  describe.skipIf(!ok)(`profile pictures on ${setup.name}`, () => {
    let env: ContactsEnv;
    beforeAll(async () => {
      env = await startContactsEnv(setup);
    });
    afterAll(() => env?.stop());

    const token = (u: TestUser) => u.h.headers.authorization.slice('Bearer '.length);
    let n = 0;
    const image = async (u: TestUser, w = 64, h = w) =>
      (await uploadOk(env.server.baseUrl, token(u), 'image', await noisyPng(w, h), 'a.png')).id;
    /** A distinct square image each call (sizes differ, so the bytes do). */
    const square = (u: TestUser) => {
      n++;
      return image(u, 40 + n, 40 + n);
    };
    /** GET without a token, following no redirect. */
    const open = (path: string) => fetch(new URL(path, env.server.baseUrl), { redirect: 'manual' });
    const fileRow = (id: string) =>
      env.server.app
        .value('sql')
        .db.selectFrom('media_files' as never)
        .selectAll()
        .where('id' as never, '=', id as never)
        .executeTakeFirst() as Promise<{ deleted_at: unknown } | undefined>;

    it('a person sets a square picture; anyone (signed in or not) sees it at the stored path', async () => {
      const ann = await newUser(env, 'Ann');
      const ben = await newUser(env, 'Ben');
      const id = await square(ann);
      const { user } = await env.authApi.setAvatar({ mediaId: id }, ann.h);
      expect(user!.avatarUrl).toBe(`/media/v1/avatar/${ann.id}/${id}`);
      expect((await env.authApi.getMe({}, ann.h)).user!.avatarUrl).toBe(user!.avatarUrl);
      const cards = await env.api.getUsers({ userIds: [ann.id] }, ben.h);
      expect(cards.users[0]!.avatarUrl).toBe(user!.avatarUrl);

      const res = await open(user!.avatarUrl);
      expect(res.status).toBe(302);
      expect(res.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
      const pic = await get(new URL(res.headers.get('location')!, env.server.baseUrl).toString());
      expect(pic.status).toBe(200);
      expect(pic.headers.get('content-type')).toBe('image/webp');
    });

    it('replacing or removing the picture lets the old file go, and its path stops answering', async () => {
      const ann = await newUser(env, 'Ann');
      const first = await square(ann);
      const second = await square(ann);
      await env.authApi.setAvatar({ mediaId: first }, ann.h);
      // Setting the same picture again is harmless (a retried call).
      await env.authApi.setAvatar({ mediaId: first }, ann.h);
      const { user } = await env.authApi.setAvatar({ mediaId: second }, ann.h);
      expect(user!.avatarUrl).toBe(`/media/v1/avatar/${ann.id}/${second}`);
      expect((await open(`/media/v1/avatar/${ann.id}/${first}`)).status).toBe(404);
      expect((await fileRow(first))?.deleted_at).toBeTruthy();
      const removed = await env.authApi.setAvatar({ mediaId: '' }, ann.h);
      expect(removed.user!.avatarUrl).toBe('');
      expect((await open(`/media/v1/avatar/${ann.id}/${second}`)).status).toBe(404);
      // An outside URL through UpdateProfile also lets a held picture go.
      const third = await square(ann);
      await env.authApi.setAvatar({ mediaId: third }, ann.h);
      await env.authApi.updateProfile({ avatarUrl: 'https://example.com/me.png' }, ann.h);
      expect((await open(`/media/v1/avatar/${ann.id}/${third}`)).status).toBe(404);
    });

    it('refuses a non-square image, a non-image, someone else’s file and a forged id', async () => {
      const ann = await newUser(env, 'Ann');
      const eve = await newUser(env, 'Eve');
      await expectReason(
        env.authApi.setAvatar({ mediaId: await image(ann, 80, 40) }, ann.h),
        'INVALID_ARGUMENT',
      );
      const text = await uploadOk(
        env.server.baseUrl,
        token(ann),
        'file',
        Buffer.from('not a picture'),
        't.txt',
      );
      await expectReason(env.authApi.setAvatar({ mediaId: text.id }, ann.h), 'INVALID_ARGUMENT');
      const anns = await square(ann);
      await expectReason(env.authApi.setAvatar({ mediaId: anns }, eve.h), 'PERMISSION_DENIED');
      await expectReason(env.authApi.setAvatar({ mediaId: 'x' }, ann.h), 'INVALID_ARGUMENT');
      await expectReason(env.authApi.setAvatar({ mediaId: '999999999' }, ann.h), 'NOT_FOUND');
      expect((await env.authApi.getMe({}, eve.h)).user!.avatarUrl).toBe('');
    });

    it('the picture path reaches only a file held as that holder’s picture', async () => {
      const ann = await newUser(env, 'Ann');
      const eve = await newUser(env, 'Eve');
      const held = await square(ann);
      await env.authApi.setAvatar({ mediaId: held }, ann.h);
      const secret = await square(ann);
      // Ann's other files, her picture under Eve's id, junk paths: all 404.
      expect((await open(`/media/v1/avatar/${ann.id}/${secret}`)).status).toBe(404);
      expect((await open(`/media/v1/avatar/${eve.id}/${held}`)).status).toBe(404);
      expect((await open(`/media/v1/avatar/${ann.id}/${held}/x`)).status).toBe(404);
      expect((await open(`/media/v1/avatar/..%2F${held}`)).status).toBe(404);
      expect(
        (await fetch(new URL(`/media/v1/avatar/${ann.id}/${held}`, env.server.baseUrl), { method: 'POST' }))
          .status,
      ).toBe(405);
    });

    it('a group’s picture: owner and admins change it, members see it, a plain member or outsider cannot', async () => {
      const owner = await newUser(env, 'Owner');
      const admin = await newUser(env, 'Admin');
      const member = await newUser(env, 'Member');
      const outsider = await newUser(env, 'Out');
      await befriend(env.api, owner, admin);
      await befriend(env.api, owner, member);
      const { group } = await env.api.createGroup(
        { name: 'Team', memberIds: [admin.id, member.id] },
        owner.h,
      );
      const gid = group!.id;
      await env.api.setGroupMemberRole({ groupId: gid, userId: admin.id, role: R.ADMIN }, owner.h);

      const pic = await square(owner);
      const set = await env.api.setGroupAvatar({ groupId: gid, mediaId: pic }, owner.h);
      expect(set.group!.avatarUrl).toBe(`/media/v1/avatar/${gid}/${pic}`);
      expect((await open(set.group!.avatarUrl)).status).toBe(302);
      const seen = (await env.api.listMyGroups({}, member.h)).groups.find((g) => g.id === gid);
      expect(seen!.avatarUrl).toBe(set.group!.avatarUrl);

      const mine = await square(member);
      await expectReason(
        env.api.setGroupAvatar({ groupId: gid, mediaId: mine }, member.h),
        'PERMISSION_DENIED',
      );
      await expectReason(
        env.api.setGroupAvatar({ groupId: gid, mediaId: '' }, member.h),
        'PERMISSION_DENIED',
      );
      const outs = await square(outsider);
      await expectReason(env.api.setGroupAvatar({ groupId: gid, mediaId: outs }, outsider.h), 'NOT_FOUND');
      // An admin may not use someone else's upload (the owner's other file) either.
      const ownersOther = await square(owner);
      await expectReason(
        env.api.setGroupAvatar({ groupId: gid, mediaId: ownersOther }, admin.h),
        'PERMISSION_DENIED',
      );
      // Nothing the refused calls named was held: their paths do not answer.
      expect((await open(`/media/v1/avatar/${gid}/${mine}`)).status).toBe(404);
      expect((await open(`/media/v1/avatar/${gid}/${outs}`)).status).toBe(404);

      const adminPic = await square(admin);
      const changed = await env.api.setGroupAvatar({ groupId: gid, mediaId: adminPic }, admin.h);
      expect(changed.group!.avatarUrl).toBe(`/media/v1/avatar/${gid}/${adminPic}`);
      expect((await open(`/media/v1/avatar/${gid}/${pic}`)).status).toBe(404);
      expect((await env.api.getGroup({ groupId: gid }, member.h)).group!.avatarUrl).toBe(
        changed.group!.avatarUrl,
      );
    });
  });
}
