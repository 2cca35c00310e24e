import type { Client } from '@connectrpc/connect';
import { media, message, stickers } from '@mychat/protocol';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
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
import { animatedImage, noisyPng } from '../../../../test/helpers/media-fixtures.js';
import { get, uploadOk } from '../../../../test/helpers/media-helpers.js';

const MAX = 4;

/** A PNG of random pixels: it does not compress, so 1000x600 is well over 1 MiB. */
const randomPng = (width: number, height: number) =>
  sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();

/**
 * Stickers (表情包 / 存表情) through the public edge: an image of a message kept as the
 * caller's own copy (deduplicated, surviving a recall, animation kept), the order, deleting,
 * the sticker message; and every way around the limits and someone else's files.
 */
for (const setup of CONTACTS_SETUPS.filter((s) => !s.fakeMessage)) {
  const ok = await setupAvailable(setup);

  describe.skipIf(!ok)(`stickers on ${setup.name}`, () => {
    let env: ContactsEnv;
    let stk: Client<typeof stickers.StickersService>;
    beforeAll(async () => {
      env = await startContactsEnv(setup, { message: { stickersMax: MAX } });
      stk = env.server.client(stickers.StickersService);
    });
    afterAll(() => env?.stop());

    const token = (u: TestUser) => u.h.headers.authorization.slice('Bearer '.length);
    let n = 0;
    const upload = async (u: TestUser, bytes: Buffer, name = 'p.png') =>
      uploadOk(env.server.baseUrl, token(u), 'image', bytes, name);
    async function send(u: TestUser, conversationId: string, content: message.MessageContent['body']) {
      n++;
      const r = await env.messages.sendMessage(
        { conversationId, clientMsgId: `stk-${process.pid}-${n}`, content: { body: content } },
        u.h,
      );
      return r.message!;
    }
    async function sendImage(u: TestUser, conversationId: string, bytes?: Buffer, name?: string) {
      const m = await upload(u, bytes ?? (await noisyPng(20 + ++n, 20)), name);
      const msg = await send(u, conversationId, { case: 'image', value: { images: [{ mediaId: m.id }] } });
      return { seq: msg.seq, mediaId: m.id };
    }
    async function pair() {
      const ann = await newUser(env, 'Ann');
      const bob = await newUser(env, 'Bob');
      const conv = await befriend(env.api, ann, bob);
      return { ann, bob, conv };
    }
    const used = async (u: TestUser) =>
      Number((await env.server.client(media.MediaService).getQuota({}, u.h)).usedBytes);

    it('keeps an image as the saver’s own copy that outlives a recall; the same bytes are one sticker', async () => {
      const { ann, bob, conv } = await pair();
      const bytes = await noisyPng(33, 21);
      const img = await sendImage(bob, conv, bytes);
      const before = await used(ann);
      const a = await stk.addSticker({ conversationId: conv, seq: img.seq }, ann.h);
      expect(a.existed).toBe(false);
      expect(a.sticker!.image!.mediaId).not.toBe(img.mediaId);
      expect(a.sticker!.image!).toMatchObject({ mime: 'image/png', width: 33, height: 21 });
      expect(await used(ann)).toBeGreaterThan(before);
      // The same message again, and the same bytes in another message: the first sticker.
      expect((await stk.addSticker({ conversationId: conv, seq: img.seq }, ann.h)).sticker!.id).toBe(
        a.sticker!.id,
      );
      const again = await sendImage(bob, conv, bytes);
      const b = await stk.addSticker({ conversationId: conv, seq: again.seq }, ann.h);
      expect(b).toMatchObject({ existed: true, sticker: { id: a.sticker!.id } });

      await env.messages.recallMessage({ conversationId: conv, seq: img.seq }, bob.h);
      await env.messages.recallMessage({ conversationId: conv, seq: again.seq }, bob.h);
      const list = await stk.listStickers({}, ann.h);
      expect(list.stickers.map((s) => s.id)).toEqual([a.sticker!.id]);
      const file = await get(new URL(list.stickers[0]!.url, env.server.baseUrl).toString());
      expect(file.status).toBe(200);
      expect(file.body.equals(bytes)).toBe(true);
    });

    it('keeps an animated GIF and WebP animated, and sends a sticker message its reader can open', async () => {
      const { ann, bob, conv } = await pair();
      for (const [format, name, exif] of [
        ['gif', 'a.gif', false],
        ['webp', 'a.webp', false],
        // With EXIF, the upload is re-encoded (metadata dropped): every frame must survive that.
        ['webp', 'b.webp', true],
      ] as const) {
        const img = await sendImage(bob, conv, await animatedImage(format, 3, 24, exif), name);
        const s = (await stk.addSticker({ conversationId: conv, seq: img.seq }, ann.h)).sticker!;
        const file = await get(new URL(s.url, env.server.baseUrl).toString());
        expect((await sharp(file.body).metadata()).pages, format).toBe(3);
        const sent = await send(ann, conv, {
          case: 'sticker',
          value: { image: { mediaId: s.image!.mediaId }, emoji: '😂' },
        });
        expect(sent.type).toBe(message.MessageType.STICKER);
        expect(sent.content!.body).toMatchObject({
          case: 'sticker',
          value: { image: { mediaId: s.image!.mediaId, width: 24, height: 24 }, emoji: '😂' },
        });
        const url = await env.messages.getAttachmentUrl(
          { conversationId: conv, seq: sent.seq, mediaId: s.image!.mediaId },
          bob.h,
        );
        const seen = await get(new URL(url.url, env.server.baseUrl).toString());
        expect((await sharp(seen.body).metadata()).pages).toBe(3);
      }
      // A sticker message can itself be kept as a sticker (by Bob, from Ann's message).
      const page = await env.messages.getHistory({ conversationId: conv, limit: 50 }, bob.h);
      const last = page.messages.at(-1)!;
      expect((await stk.addSticker({ conversationId: conv, seq: last.seq }, bob.h)).existed).toBe(false);
    });

    it('orders, reorders and deletes; another user’s stickers are out of reach', async () => {
      const { ann, bob, conv } = await pair();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const m = await upload(ann, await noisyPng(40 + i + n, 12));
        ids.push((await stk.addSticker({ mediaId: m.id }, ann.h)).sticker!.id);
      }
      // Newest first.
      expect((await stk.listStickers({}, ann.h)).stickers.map((s) => s.id)).toEqual([...ids].reverse());
      await stk.reorderStickers({ stickerIds: [ids[1]!, ids[0]!, ids[2]!] }, ann.h);
      expect((await stk.listStickers({}, ann.h)).stickers.map((s) => s.id)).toEqual([ids[1], ids[0], ids[2]]);
      // A partial order, a repeat or someone else's sticker is refused.
      await expectReason(stk.reorderStickers({ stickerIds: [ids[0]!, ids[1]!] }, ann.h), 'INVALID_ARGUMENT');
      await expectReason(
        stk.reorderStickers({ stickerIds: [ids[0]!, ids[0]!, ids[2]!] }, ann.h),
        'INVALID_ARGUMENT',
      );
      await expectReason(stk.reorderStickers({ stickerIds: ids }, bob.h), 'INVALID_ARGUMENT');
      // Bob deleting Ann's sticker changes nothing; Ann deleting it removes it.
      await stk.deleteStickers({ stickerIds: [ids[0]!] }, bob.h);
      expect((await stk.listStickers({}, ann.h)).stickers).toHaveLength(3);
      await stk.deleteStickers({ stickerIds: [ids[0]!, ids[0]!] }, ann.h);
      expect((await stk.listStickers({}, ann.h)).stickers.map((s) => s.id)).toEqual([ids[1], ids[2]]);
      await expectReason(stk.deleteStickers({ stickerIds: ['x'] }, ann.h), 'INVALID_ARGUMENT');
      // Bob cannot keep Ann's upload, nor send her sticker file as his.
      const mine = (await stk.listStickers({}, ann.h)).stickers[0]!.image!.mediaId;
      await expectReason(stk.addSticker({ mediaId: mine }, bob.h), 'NOT_FOUND');
      await expectReason(
        send(bob, conv, { case: 'sticker', value: { image: { mediaId: mine } } }),
        'PERMISSION_DENIED',
      );
      // A made-up pack does not lend its hold to someone else's file.
      await expectReason(
        send(bob, conv, { case: 'sticker', value: { image: { mediaId: mine }, packId: ids[1]! } }),
        'PERMISSION_DENIED',
      );
    });

    it('refuses what cannot be a sticker, and more than stickersMax', async () => {
      const { ann, bob, conv } = await pair();
      const text = (await sendText(env, bob, conv, 'not a picture')).message!;
      await expectReason(stk.addSticker({ conversationId: conv, seq: text.seq }, ann.h), 'STICKER_NOT_IMAGE');
      const big = await sendImage(bob, conv, await randomPng(1000, 600));
      await expectReason(stk.addSticker({ conversationId: conv, seq: big.seq }, ann.h), 'STICKER_TOO_LARGE');
      await expectReason(
        send(bob, conv, { case: 'sticker', value: { image: { mediaId: big.mediaId } } }),
        'STICKER_TOO_LARGE',
      );
      const img = await sendImage(bob, conv);
      await expectReason(
        stk.addSticker({ conversationId: conv, seq: img.seq, index: 1 }, ann.h),
        'INVALID_ARGUMENT',
      );
      // A conversation Ann is not in, and a seq she cannot see, are the same NOT_FOUND.
      const cat = await newUser(env, 'Cat');
      await expectReason(stk.addSticker({ conversationId: conv, seq: img.seq }, cat.h), 'NOT_FOUND');
      await expectReason(stk.addSticker({ conversationId: conv, seq: 9999 }, ann.h), 'NOT_FOUND');
      await expectReason(
        send(bob, conv, {
          case: 'sticker',
          value: { image: { mediaId: img.mediaId }, emoji: 'x'.repeat(17) },
        }),
        'FIELD_TOO_LONG',
      );
      for (let i = 0; i < MAX; i++) {
        const m = await upload(ann, await noisyPng(60 + i + n, 10));
        await stk.addSticker({ mediaId: m.id }, ann.h);
      }
      const extra = await upload(ann, await noisyPng(90 + n, 10));
      await expectReason(stk.addSticker({ mediaId: extra.id }, ann.h), 'STICKERS_FULL');
    });
  });
}
