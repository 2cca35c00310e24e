import type { Client } from '@connectrpc/connect';
import { stickers } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason } from '../../../../test/helpers/auth-helpers.js';
import { befriend } from '../../../../test/helpers/contacts-helpers.js';
import { noisyPng } from '../../../../test/helpers/media-fixtures.js';
import { get, uploadOk } from '../../../../test/helpers/media-helpers.js';
import { setupAvailable } from '../../../../test/helpers/contacts-helpers.js';
import {
  ADMIN_SETUPS,
  newUser,
  operator,
  startAdminEnv,
  stepUp,
  type AdminEnv,
  type TestUser,
} from '../../admin/admin.test-helpers.js';

/**
 * Sticker packs (表情包): an admin installs a pack of their uploads through the console's
 * AdminService; everyone sees it and may send its stickers; nobody else may install; a
 * removed pack cannot be sent any more while sent stickers stay readable.
 */
for (const setup of ADMIN_SETUPS) {
  const ok = await setupAvailable(setup);

  describe.skipIf(!ok)(`sticker packs on ${setup.name}`, () => {
    let env: AdminEnv;
    let stk: Client<typeof stickers.StickersService>;
    beforeAll(async () => {
      env = await startAdminEnv(setup);
      stk = env.server.client(stickers.StickersService);
    });
    afterAll(() => env?.stop());

    const token = (u: TestUser) => u.h.headers.authorization.slice('Bearer '.length);
    let n = 0;
    const upload = async (u: TestUser) =>
      uploadOk(env.server.baseUrl, token(u), 'image', await noisyPng(30 + ++n, 30), 'p.png');

    it('installs a pack everyone sees and sends; removing it stops new sends, not old reads', async () => {
      const admin = await operator(env, 'Admin');
      const files = [await upload(admin), await upload(admin)];
      const { packId } = await env.console.installStickerPack(
        { name: ' Cats ', mediaIds: files.map((f) => f.id), emojis: ['😺', '😹'] },
        admin.h,
      );
      const ann = await newUser(env, 'Ann');
      const bob = await newUser(env, 'Bob');
      const conv = await befriend(env.api, ann, bob);
      const pack = (await stk.listStickers({}, ann.h)).packs.find((p) => p.id === packId)!;
      expect(pack.name).toBe('Cats');
      // The pack holds copies of its own, not the installer's files.
      const copies = pack.stickers.map((s) => s.image!.mediaId);
      expect(pack.stickers.map((s) => [s.emoji, s.packId])).toEqual([
        ['😺', packId],
        ['😹', packId],
      ]);
      expect(copies.filter((id) => files.some((f) => f.id === id))).toEqual([]);
      expect((await get(new URL(pack.stickers[0]!.url, env.server.baseUrl).toString())).status).toBe(200);

      const sticker = { image: { mediaId: copies[0]! }, packId, emoji: '😺' };
      const sent = (
        await env.messages.sendMessage(
          {
            conversationId: conv,
            clientMsgId: `pk-${n}`,
            content: { body: { case: 'sticker', value: sticker } },
          },
          ann.h,
        )
      ).message!;
      expect(sent.content!.body).toMatchObject({ case: 'sticker', value: { packId } });
      // The pack lends its hold only to its own files: Ann's upload is not Bob's to send.
      const annFile = await upload(ann);
      await expectReason(
        env.messages.sendMessage(
          {
            conversationId: conv,
            clientMsgId: `pk-x-${n}`,
            content: { body: { case: 'sticker', value: { image: { mediaId: annFile.id }, packId } } },
          },
          bob.h,
        ),
        'PERMISSION_DENIED',
      );

      // Removing is destructive: the password again first.
      await expectReason(env.console.deleteStickerPack({ packId }, admin.h), 'STEP_UP_REQUIRED');
      await stepUp(env, admin);
      await env.console.deleteStickerPack({ packId }, admin.h);
      expect((await stk.listStickers({}, ann.h)).packs.some((p) => p.id === packId)).toBe(false);
      await expectReason(
        env.messages.sendMessage(
          {
            conversationId: conv,
            clientMsgId: `pk-2-${n}`,
            content: { body: { case: 'sticker', value: sticker } },
          },
          ann.h,
        ),
        'PERMISSION_DENIED',
      );
      const url = await env.messages.getAttachmentUrl(
        { conversationId: conv, seq: sent.seq, mediaId: copies[0]! },
        bob.h,
      );
      expect((await get(new URL(url.url, env.server.baseUrl).toString())).status).toBe(200);
      // Deleting again is harmless.
      await env.console.deleteStickerPack({ packId }, admin.h);
    });

    it("outlives its installer's account: its images stay and can still be sent", async () => {
      const admin = await operator(env, 'Leaving');
      const files = [await upload(admin)];
      const { packId } = await env.console.installStickerPack(
        { name: 'Dogs', mediaIds: files.map((f) => f.id) },
        admin.h,
      );
      const remover = await operator(env, 'Remover');
      await stepUp(env, remover);
      await env.console.deleteAccount({ userId: admin.id, reason: 'left the team' }, remover.h);

      const ann = await newUser(env, 'Ann');
      const bob = await newUser(env, 'Bob');
      const conv = await befriend(env.api, ann, bob);
      const pack = (await stk.listStickers({}, ann.h)).packs.find((p) => p.id === packId)!;
      expect((await get(new URL(pack.stickers[0]!.url, env.server.baseUrl).toString())).status).toBe(200);
      const mediaId = pack.stickers[0]!.image!.mediaId;
      const sent = await env.messages.sendMessage(
        {
          conversationId: conv,
          clientMsgId: `pk-left-${n}`,
          content: { body: { case: 'sticker', value: { image: { mediaId }, packId } } },
        },
        ann.h,
      );
      const url = await env.messages.getAttachmentUrl(
        { conversationId: conv, seq: sent.message!.seq, mediaId },
        bob.h,
      );
      expect((await get(new URL(url.url, env.server.baseUrl).toString())).status).toBe(200);
    });

    it('is for admins only, of their own images, and refuses a bad pack', async () => {
      const admin = await operator(env, 'Admin');
      const moderator = await operator(env, 'Mod', 1);
      const ann = await newUser(env, 'Ann');
      const mine = await upload(admin);
      const hers = await upload(ann);
      await expectReason(
        env.console.installStickerPack({ name: 'x', mediaIds: [hers.id] }, ann.h),
        'ADMIN_REQUIRED',
      );
      await expectReason(
        env.console.installStickerPack({ name: 'x', mediaIds: [mine.id] }, moderator.h),
        'ADMIN_REQUIRED',
      );
      await expectReason(env.console.deleteStickerPack({ packId: '1' }, ann.h), 'ADMIN_REQUIRED');
      const bad = async (req: { name: string; mediaIds: string[]; emojis?: string[] }, reason: string) =>
        expectReason(env.console.installStickerPack(req, admin.h), reason);
      await bad({ name: 'x', mediaIds: [hers.id] }, 'NOT_FOUND');
      await bad({ name: 'x', mediaIds: [] }, 'STICKER_PACK_INVALID');
      await bad({ name: '  ', mediaIds: [mine.id] }, 'STICKER_PACK_INVALID');
      await bad({ name: 'x'.repeat(41), mediaIds: [mine.id] }, 'STICKER_PACK_INVALID');
      await bad({ name: 'x', mediaIds: [mine.id, mine.id] }, 'STICKER_PACK_INVALID');
      await bad({ name: 'x', mediaIds: [mine.id], emojis: ['a', 'b'] }, 'STICKER_PACK_INVALID');
      // A failed install holds nothing: the file can still be installed, and nothing half-made is listed.
      await bad({ name: 'x', mediaIds: [mine.id, hers.id] }, 'NOT_FOUND');
      expect((await stk.listStickers({}, ann.h)).packs.some((p) => p.name === 'x')).toBe(false);
    });
  });
}
