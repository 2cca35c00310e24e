import { create } from '@bufbuild/protobuf';
import { auth, media, message as pb } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectReason, signUp, type AuthClient } from '../../../test/helpers/auth-helpers.js';
import { photoWithGps } from '../../../test/helpers/media-fixtures.js';
import { get, uploadOk } from '../../../test/helpers/media-helpers.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';

/**
 * MessageService.GetAttachmentUrl through a real server: the message service decides who
 * sees a message's files (members who can read that seq, message not recalled) and the
 * media service only signs. Every refusal is the same NOT_FOUND.
 */
describe('message: attachment URLs', () => {
  let server: TestServer;
  let api: AuthClient;
  const msgApi = () => server.client(pb.MessageService);
  const internal = () => server.app.value('rpc').client(pb.MessageInternalService);

  beforeAll(async () => {
    server = await startTestServer({ overrides: { message: { sendBurst: 1000, sendRatePerSecond: 1000 } } });
    api = server.client(auth.AuthService);
  });
  afterAll(() => server?.stop());

  async function user() {
    const { session } = await signUp(server, api);
    return { id: session.user!.id, token: session.accessToken, h: bearer(session.accessToken) };
  }
  type User = Awaited<ReturnType<typeof user>>;
  let n = 0;
  const cid = () => `c${Date.now()}${n++}`;
  const setGroup = (gid: string, owner: User, ...members: User[]) =>
    internal().applyGroup({
      conversationId: gid,
      name: 'G',
      members: [{ userId: owner.id, role: 3 }, ...members.map((m) => ({ userId: m.id, role: 1 }))],
    });
  const sendImage = async (u: User, conversationId: string, mediaId: string) =>
    (
      await msgApi().sendMessage(
        {
          conversationId,
          clientMsgId: cid(),
          content: create(pb.MessageContentSchema, {
            body: { case: 'image', value: { images: [{ mediaId }] } },
          }),
        },
        u.h,
      )
    ).message!;
  const urlOf = (u: User, conversationId: string, seq: number, mediaId: string, download = false) =>
    msgApi().getAttachmentUrl(
      { conversationId, seq, mediaId, variant: media.MediaVariant.ORIGINAL, download },
      u.h,
    );

  it('serves a group file to members only; left members, strangers and made-up seqs get NOT_FOUND', async () => {
    const [owner, member, leaver, late, stranger] = [
      await user(),
      await user(),
      await user(),
      await user(),
      await user(),
    ];
    const gid = `7${Date.now()}${Math.floor(Math.random() * 1000)}`;
    await setGroup(gid, owner, member, leaver);
    const m = await uploadOk(server.baseUrl, owner.token, 'image', await photoWithGps(200, 100), 'p.jpg');
    const sent = await sendImage(owner, gid, m.id);

    const got = await get(server.baseUrl + (await urlOf(member, gid, sent.seq, m.id)).url);
    expect(got.status).toBe(200);
    expect(got.body.length).toBe(Number(m.size));
    // The thumbnail variant goes through the same check.
    const thumb = await msgApi().getAttachmentUrl(
      { conversationId: gid, seq: sent.seq, mediaId: m.id, variant: media.MediaVariant.THUMBNAIL },
      member.h,
    );
    expect((await get(server.baseUrl + thumb.url)).status).toBe(200);

    // A stranger, and a made-up seq for a member: the same answer, so nothing leaks.
    await expectReason(urlOf(stranger, gid, sent.seq, m.id), 'NOT_FOUND');
    await expectReason(urlOf(member, gid, sent.seq + 1000, m.id), 'NOT_FOUND');
    // A real message that does not carry the asked file (the stranger's own upload).
    const other = await uploadOk(
      server.baseUrl,
      stranger.token,
      'image',
      await photoWithGps(90, 60),
      'o.jpg',
    );
    await expectReason(urlOf(member, gid, sent.seq, other.id), 'NOT_FOUND');

    // Someone who joins later does not see what came before.
    await setGroup(gid, owner, member, leaver, late);
    await expectReason(urlOf(late, gid, sent.seq, m.id), 'NOT_FOUND');

    // A member who left sees what was sent while a member, not what follows.
    const before = await sendImage(owner, gid, m.id);
    await setGroup(gid, owner, member, late);
    const after = await sendImage(owner, gid, m.id);
    expect((await urlOf(leaver, gid, before.seq, m.id)).url).not.toBe('');
    await expectReason(urlOf(leaver, gid, after.seq, m.id), 'NOT_FOUND');
    expect((await urlOf(late, gid, after.seq, m.id)).url).not.toBe('');
  });

  it('stops serving a recalled message’s file; bad input is INVALID_ARGUMENT', async () => {
    const [a, b] = [await user(), await user()];
    const { conversationId } = await internal().applyDirect({
      userA: a.id,
      userB: b.id,
      aCanSend: true,
      bCanSend: true,
    });
    const m = await uploadOk(server.baseUrl, a.token, 'image', await photoWithGps(120, 80), 'r.jpg');
    const sent = await sendImage(a, conversationId, m.id);
    expect((await urlOf(b, conversationId, sent.seq, m.id, true)).url).not.toBe('');
    await msgApi().recallMessage({ conversationId, seq: sent.seq }, a.h);
    await expectReason(urlOf(b, conversationId, sent.seq, m.id), 'NOT_FOUND');
    // The owner still has the drive path for their own file.
    const own = await server.client(media.MediaService).getDownloadUrl({ mediaId: m.id }, a.h);
    expect((await get(server.baseUrl + own.url)).status).toBe(200);

    // Media signs only for the message that was granted the file: a caller of the internal
    // API naming another message (or none) gets nothing.
    const mediaInternal = server.app.value('rpc').client(media.MediaInternalService);
    const grant = { mediaId: m.id, conversationId, senderId: a.id, clientMsgId: sent.clientMsgId };
    expect((await mediaInternal.signUrl(grant)).url).not.toBe('');
    await expectReason(mediaInternal.signUrl({ ...grant, clientMsgId: 'other' }), 'NOT_FOUND');
    await expectReason(mediaInternal.signUrl({ ...grant, senderId: b.id }), 'NOT_FOUND');
    await expectReason(mediaInternal.signUrl({ ...grant, clientMsgId: '' }), 'INVALID_ARGUMENT');

    await expectReason(urlOf(b, conversationId, sent.seq, 'not-an-id'), 'INVALID_ARGUMENT');
    await expectReason(urlOf(b, 'x', sent.seq, m.id), 'INVALID_ARGUMENT');
    await expectReason(
      msgApi().getAttachmentUrl({ conversationId, seq: sent.seq, mediaId: m.id }),
      'UNAUTHENTICATED',
    );
  });
});
