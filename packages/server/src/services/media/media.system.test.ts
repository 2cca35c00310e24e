import { create } from '@bufbuild/protobuf';
import { auth, media, message as pb } from '@mychat/protocol';
import sharp from 'sharp';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectReason, signUp, type AuthClient } from '../../../test/helpers/auth-helpers.js';
import { photoWithGps, voiceWebm, toneWav } from '../../../test/helpers/media-fixtures.js';
import { get, upload, uploadOk } from '../../../test/helpers/media-helpers.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';

/**
 * Images and voice through a real server: uploaded over HTTP, processed, sent in a 1:1
 * chat and fetched by the other member; who may download what; expiring URLs.
 */
describe('media: images, voice and chat', () => {
  let server: TestServer;
  let api: AuthClient;
  // Real time plus an offset the expiry test moves forward.
  const clock = { offset: 0, now: () => Date.now() + clock.offset };
  const mediaApi = () => server.client(media.MediaService);
  const msgApi = () => server.client(pb.MessageService);

  beforeAll(async () => {
    server = await startTestServer({
      clock,
      overrides: { message: { sendBurst: 1000, sendRatePerSecond: 1000 } },
    });
    api = server.client(auth.AuthService);
  });
  afterAll(() => server?.stop());

  async function user() {
    const { session } = await signUp(server, api);
    return { id: session.user!.id, token: session.accessToken, h: bearer(session.accessToken) };
  }
  type User = Awaited<ReturnType<typeof user>>;
  async function pair(a: User, b: User) {
    const internal = server.app.value('rpc').client(pb.MessageInternalService);
    return (await internal.applyDirect({ userA: a.id, userB: b.id, aCanSend: true, bCanSend: true }))
      .conversationId;
  }
  const fetchUrl = async (
    u: User,
    mediaId: string,
    variant = media.MediaVariant.ORIGINAL,
    download = false,
  ) => {
    const { url } = await mediaApi().getDownloadUrl({ mediaId, variant, download }, u.h);
    return get(server.baseUrl + url);
  };
  /** A file seen in a chat: the message service checks the caller sees the message at seq. */
  const fetchAt = async (
    u: User,
    at: { conversationId: string; seq: number },
    mediaId: string,
    variant = media.MediaVariant.ORIGINAL,
  ) => {
    const { url } = await msgApi().getAttachmentUrl({ ...at, mediaId, variant }, u.h);
    return get(server.baseUrl + url);
  };
  let n = 0;
  const cid = () => `c${Date.now()}${n++}`;

  it('answers a truncated PNG with 422 MEDIA_CORRUPT and logs the decoder reason, not a 500', async () => {
    const a = await user();
    const png = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#3a7' } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    const cut = png.subarray(0, Math.floor(png.length / 2));
    const r = await upload(server.baseUrl, a.token, 'image', cut, 'cut.png');
    expect(r.status).toBe(422);
    expect(r.json()).toMatchObject({ reason: 'MEDIA_CORRUPT', field: 'file' });
    const line = server.logs.find((l) => l.includes('the file cannot be decoded'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ ownerId: a.id, cause: expect.stringMatching(/\S/) });
    // The whole file still goes through.
    expect((await upload(server.baseUrl, a.token, 'image', png, 'whole.png')).status).toBe(201);
  });

  it('stores a photo upright, without its GPS position, with a WebP thumbnail and a placeholder', async () => {
    const a = await user();
    const photo = await photoWithGps(600, 400);
    expect((await sharp(photo).metadata()).exif).toBeDefined();
    const m = await uploadOk(server.baseUrl, a.token, 'image', photo, 'holiday.png');
    // Orientation 6: stored 600x400, shown 400x600.
    expect({ w: m.width, h: m.height, mime: m.mime, status: m.status }).toEqual({
      w: 400,
      h: 600,
      mime: 'image/jpeg',
      status: media.MediaStatus.READY,
    });
    expect(m.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.placeholder).toMatch(/^data:image\/webp;base64,/);
    expect(m.hasThumbnail).toBe(true);

    const orig = await fetchUrl(a, m.id);
    expect(orig.status).toBe(200);
    expect(orig.headers.get('x-content-type-options')).toBe('nosniff');
    expect(orig.headers.get('content-type')).toBe('image/jpeg');
    expect(orig.headers.get('content-disposition')).toMatch(/^inline; filename="holiday.png"/);
    const meta = await sharp(orig.body).metadata();
    expect({ w: meta.width, h: meta.height, o: meta.orientation ?? 1, exif: meta.exif }).toEqual({
      w: 400,
      h: 600,
      o: 1,
      exif: undefined,
    });
    const thumb = await fetchUrl(a, m.id, media.MediaVariant.THUMBNAIL);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    expect((await sharp(thumb.body).metadata()).format).toBe('webp');

    const saved = await fetchUrl(a, m.id, media.MediaVariant.ORIGINAL, true);
    expect(saved.headers.get('content-disposition')).toMatch(/^attachment;/);
  });

  it('stores identical bytes once per owner and counts them once', async () => {
    const a = await user();
    const photo = await photoWithGps(320, 200);
    const first = await uploadOk(server.baseUrl, a.token, 'image', photo, 'one.jpg');
    const used = (await mediaApi().getQuota({}, a.h)).usedBytes;
    const again = await uploadOk(server.baseUrl, a.token, 'image', photo, 'two.jpg');
    expect(again.id).toBe(first.id);
    expect((await mediaApi().getQuota({}, a.h)).usedBytes).toBe(used);
    const b = await user();
    expect((await uploadOk(server.baseUrl, b.token, 'image', photo)).id).not.toBe(first.id);
  });

  it('keeps a friend’s photo as an own copy with its thumbnail; a copy failing half-way leaves nothing', async () => {
    const [a, b] = [await user(), await user()];
    const conv = await pair(a, b);
    const m = await uploadOk(server.baseUrl, a.token, 'image', await photoWithGps(300, 200), 'p.jpg');
    const { message: sent } = await msgApi().sendMessage(
      {
        conversationId: conv,
        clientMsgId: cid(),
        content: create(pb.MessageContentSchema, {
          body: { case: 'image', value: { images: [{ mediaId: m.id }] } },
        }),
      },
      a.h,
    );
    const blob = server.app.value('blob');
    const copy = blob.copy.bind(blob);
    const copied: string[] = [];
    // The second copy (the thumbnail) fails: the original's copy must go again.
    blob.copy = async (from, to) => {
      copied.push(to);
      if (copied.length === 2) throw new Error('disk full');
      return copy(from, to);
    };
    const at = { conversationId: conv, seq: sent!.seq, mediaId: m.id };
    try {
      await expect(msgApi().saveAttachment(at, b.h)).rejects.toThrow();
    } finally {
      blob.copy = copy;
    }
    expect(copied).toHaveLength(2);
    for (const key of copied) expect(await blob.stat(key)).toBeUndefined();
    expect((await mediaApi().getQuota({}, b.h)).usedBytes).toBe('0');

    // Media's own AddToDrive is for one's own files: who sees a chat's file is message's call.
    await expectReason(mediaApi().addToDrive({ mediaId: m.id }, b.h), 'PERMISSION_DENIED');
    const kept = await msgApi().saveAttachment(at, b.h);
    const mine = kept.entry!.media!.id;
    expect(mine).not.toBe(m.id);
    expect((await fetchUrl(b, mine, media.MediaVariant.THUMBNAIL)).status).toBe(200);
    expect((await fetchUrl(b, mine)).body.length).toBe(Number(m.size));
  });

  it('sends an image in a 1:1 chat that the other member fetches; strangers get 403', async () => {
    const [a, b, stranger] = [await user(), await user(), await user()];
    const conv = await pair(a, b);
    const m = await uploadOk(server.baseUrl, a.token, 'image', await photoWithGps(500, 300), 'p.jpg');
    const sent = await msgApi().sendMessage(
      {
        conversationId: conv,
        clientMsgId: cid(),
        // A client's claims about the file are replaced by the server's.
        content: create(pb.MessageContentSchema, {
          body: {
            case: 'image',
            value: { images: [{ mediaId: m.id, size: '1', width: 9999, mime: 'text/html' }] },
          },
        }),
      },
      a.h,
    );
    expect(sent.message!.type).toBe(pb.MessageType.IMAGE);
    const h = await msgApi().getHistory({ conversationId: conv, limit: 10 }, b.h);
    const img = h.messages[0]!.content!.body;
    expect(img.case).toBe('image');
    const ref = img.case === 'image' ? img.value.images[0]! : undefined;
    expect(ref).toMatchObject({ mediaId: m.id, size: m.size, width: 300, height: 500, mime: 'image/jpeg' });
    expect(ref!.placeholder).toBe(m.placeholder);

    const at = { conversationId: conv, seq: sent.message!.seq };
    const got = await fetchAt(b, at, m.id);
    expect(got.status).toBe(200);
    expect(got.body.length).toBe(Number(m.size));
    // Media answers only the owner; the member has the file's description in the message.
    await expectReason(mediaApi().getMedia({ mediaId: m.id }, b.h), 'PERMISSION_DENIED');
    await expectReason(mediaApi().getDownloadUrl({ mediaId: m.id }, b.h), 'PERMISSION_DENIED');

    // A stranger: 403 through the Connect API (HTTP status and stable reason).
    await expectReason(
      mediaApi().getDownloadUrl({ mediaId: m.id, variant: media.MediaVariant.ORIGINAL }, stranger.h),
      'PERMISSION_DENIED',
    );
    const raw = await fetch(`${server.baseUrl}/mychat.media.v1.MediaService/GetDownloadUrl`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stranger.token}` },
      body: JSON.stringify({ mediaId: m.id }),
    });
    expect(raw.status).toBe(403);
    // Nor can a stranger send someone else's file.
    const sc = await pair(stranger, a);
    await expectReason(
      msgApi().sendMessage(
        {
          conversationId: sc,
          clientMsgId: cid(),
          content: create(pb.MessageContentSchema, {
            body: { case: 'image', value: { images: [{ mediaId: m.id }] } },
          }),
        },
        stranger.h,
      ),
      'PERMISSION_DENIED',
    );

    // Nor forward it by naming a message he cannot see.
    await expectReason(
      msgApi().sendMessage(
        {
          conversationId: sc,
          clientMsgId: cid(),
          content: create(pb.MessageContentSchema, {
            body: { case: 'image', value: { images: [{ mediaId: m.id }] } },
          }),
          forwardedFrom: at,
        },
        stranger.h,
      ),
      'PERMISSION_DENIED',
    );

    // Forwarding: b sends the same stored file on to c, naming where it came from; c can
    // then fetch it through the new message.
    const c = await user();
    const bc = await pair(b, c);
    const image = create(pb.MessageContentSchema, {
      body: { case: 'image', value: { images: [{ mediaId: m.id }] } },
    });
    // Without the source, someone else's file is refused.
    await expectReason(
      msgApi().sendMessage({ conversationId: bc, clientMsgId: cid(), content: image }, b.h),
      'PERMISSION_DENIED',
    );
    // A source b sees that does not carry the file is refused too.
    const textOnly = await msgApi().sendMessage(
      {
        conversationId: conv,
        clientMsgId: cid(),
        content: create(pb.MessageContentSchema, { body: { case: 'text', value: { text: 'hi' } } }),
      },
      a.h,
    );
    await expectReason(
      msgApi().sendMessage(
        {
          conversationId: bc,
          clientMsgId: cid(),
          content: image,
          forwardedFrom: { conversationId: conv, seq: textOnly.message!.seq },
        },
        b.h,
      ),
      'PERMISSION_DENIED',
    );
    const fwd = await msgApi().sendMessage(
      { conversationId: bc, clientMsgId: cid(), content: image, forwardedFrom: at },
      b.h,
    );
    expect((await fetchAt(c, { conversationId: bc, seq: fwd.message!.seq }, m.id)).status).toBe(200);
    // c cannot reach the file through the first conversation.
    await expectReason(msgApi().getAttachmentUrl({ ...at, mediaId: m.id }, c.h), 'NOT_FOUND');
    // A recalled message stops granting access.
    const r = await msgApi().sendMessage(
      {
        conversationId: bc,
        clientMsgId: cid(),
        content: create(pb.MessageContentSchema, {
          body: { case: 'file', value: { file: { mediaId: m.id }, name: 'x.jpg' } },
        }),
        forwardedFrom: at,
      },
      b.h,
    );
    expect(r.message!.type).toBe(pb.MessageType.FILE);
  });

  it('transcodes a voice clip to Opus 48 kbit/s in Ogg with duration and waveform, and sends it', async () => {
    const [a, b] = [await user(), await user()];
    const conv = await pair(a, b);
    const m = await uploadOk(server.baseUrl, a.token, 'voice', await voiceWebm(3), 'rec.webm');
    expect(m.mime).toBe('audio/ogg; codecs=opus');
    expect(m.durationMs).toBeGreaterThan(2800);
    expect(m.durationMs).toBeLessThan(3300);
    expect(m.waveform).toHaveLength(64);
    expect(Math.max(...m.waveform)).toBeGreaterThan(10);
    await msgApi().sendMessage(
      {
        conversationId: conv,
        clientMsgId: cid(),
        content: create(pb.MessageContentSchema, {
          body: { case: 'voice', value: { audio: { mediaId: m.id } } },
        }),
      },
      a.h,
    );
    const [msg] = (await msgApi().getHistory({ conversationId: conv, limit: 5 }, b.h)).messages;
    expect(msg!.type).toBe(pb.MessageType.VOICE);
    const v = msg!.content!.body;
    expect(v.case === 'voice' && { d: v.value.durationMs, w: v.value.waveform.length }).toEqual({
      d: m.durationMs,
      w: 64,
    });
    const got = await fetchAt(b, { conversationId: conv, seq: msg!.seq }, m.id);
    expect(got.headers.get('content-type')).toBe('audio/ogg; codecs=opus');
    const probe = await ffprobe(got.body);
    expect(probe.codec).toBe('opus');
    expect(probe.format).toBe('ogg');
    // An image file is not a voice message.
    await expectReason(
      msgApi().sendMessage(
        {
          conversationId: conv,
          clientMsgId: cid(),
          content: create(pb.MessageContentSchema, {
            body: {
              case: 'voice',
              value: {
                audio: {
                  mediaId: (await uploadOk(server.baseUrl, a.token, 'image', await photoWithGps(64, 64))).id,
                },
              },
            },
          }),
        },
        a.h,
      ),
      'INVALID_ARGUMENT',
    );
  });

  it('refuses voice over 60 seconds', async () => {
    const a = await user();
    const r = await upload(server.baseUrl, a.token, 'voice', await toneWav(62), 'long.wav');
    expect(r.status).toBe(422);
    expect(r.json().reason).toBe('MEDIA_TOO_LARGE');
  });

  it('refuses an expired download URL (403) but serves a fresh one', async () => {
    const a = await user();
    const m = await uploadOk(server.baseUrl, a.token, 'image', await photoWithGps(100, 80));
    const { url } = await mediaApi().getDownloadUrl({ mediaId: m.id }, a.h);
    expect((await get(server.baseUrl + url)).status).toBe(200);
    clock.offset += 301_000; // past the 300 s lifetime
    try {
      const late = await get(server.baseUrl + url);
      expect(late.status).toBe(403);
      expect(late.json().reason).toBe('URL_EXPIRED');
    } finally {
      clock.offset = 0;
    }
    // A tampered signature is refused too.
    const bad = await get(server.baseUrl + url.replace(/sig=[^&]+/, 'sig=AAAA'));
    expect(bad.status).toBe(403);
  });
});

async function ffprobe(bytes: Buffer): Promise<{ codec: string; format: string }> {
  const file = path.join(os.tmpdir(), `mychat-probe-${process.pid}-${Date.now()}`);
  fs.writeFileSync(file, bytes);
  try {
    const { stdout } = await promisify(execFile)('/usr/bin/ffprobe', [
      '-v',
      'error',
      '-show_format',
      '-show_streams',
      '-of',
      'json',
      file,
    ]);
    const j = JSON.parse(stdout) as { format: { format_name: string }; streams: { codec_name: string }[] };
    return { codec: j.streams[0]!.codec_name, format: j.format.format_name };
  } finally {
    fs.rmSync(file, { force: true });
  }
}
