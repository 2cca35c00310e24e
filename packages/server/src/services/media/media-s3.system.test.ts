import { create } from '@bufbuild/protobuf';
import { auth, message as pb } from '@mychat/protocol';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, signUp } from '../../../test/helpers/auth-helpers.js';
import { photoWithGps, voiceWebm } from '../../../test/helpers/media-fixtures.js';
import { get, uploadOk } from '../../../test/helpers/media-helpers.js';
import { startS3rver } from '../../../test/helpers/s3rver.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';

/** The same media paths on the S3 backend (s3rver): staging, processing, pre-signed downloads. */
describe('media on S3 (s3rver)', () => {
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  let server: TestServer;
  beforeAll(async () => {
    s3 = await startS3rver();
    server = await startTestServer({
      overrides: {
        blob: {
          backend: 's3',
          s3Bucket: s3.bucket,
          s3Endpoint: s3.endpoint,
          s3AccessKeyId: 'S3RVER',
          s3SecretAccessKey: 'S3RVER',
          s3Prefix: 'sys/',
        },
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await s3?.stop();
  });

  it('uploads an image and a voice clip, sends them, and the other member downloads them from S3', async () => {
    const api = server.client(auth.AuthService);
    const [a, b] = [(await signUp(server, api)).session, (await signUp(server, api)).session];
    const conv = (
      await server.app
        .value('rpc')
        .client(pb.MessageInternalService)
        .applyDirect({ userA: a.user!.id, userB: b.user!.id, aCanSend: true, bCanSend: true })
    ).conversationId;
    const img = await uploadOk(server.baseUrl, a.accessToken, 'image', await photoWithGps(300, 200), 'p.jpg');
    const voice = await uploadOk(server.baseUrl, a.accessToken, 'voice', await voiceWebm(2), 'v.webm');
    const msg = server.client(pb.MessageService);
    const sentImg = await msg.sendMessage(
      {
        conversationId: conv,
        clientMsgId: 's3-img',
        content: create(pb.MessageContentSchema, {
          body: { case: 'image', value: { images: [{ mediaId: img.id }] } },
        }),
      },
      bearer(a.accessToken),
    );
    const sentVoice = await msg.sendMessage(
      {
        conversationId: conv,
        clientMsgId: 's3-voice',
        content: create(pb.MessageContentSchema, {
          body: { case: 'voice', value: { audio: { mediaId: voice.id } } },
        }),
      },
      bearer(a.accessToken),
    );
    // The other member asks the message service (it checks the message), media signs for S3.
    const { url } = await msg.getAttachmentUrl(
      { conversationId: conv, seq: sentImg.message!.seq, mediaId: img.id },
      bearer(b.accessToken),
    );
    expect(url).toMatch(new RegExp(`^${s3.endpoint}/${s3.bucket}/sys/m/${img.id}/original\\?`));
    expect(url).toContain('X-Amz-Signature=');
    const got = await get(url);
    expect(got.status).toBe(200);
    expect(got.body.length).toBe(Number(img.size));
    expect((await sharp(got.body).metadata()).exif).toBeUndefined();
    const v = await get(
      (
        await msg.getAttachmentUrl(
          { conversationId: conv, seq: sentVoice.message!.seq, mediaId: voice.id },
          bearer(b.accessToken),
        )
      ).url,
    );
    expect(v.body.subarray(0, 4).toString('latin1')).toBe('OggS');
  });
});
