import { create } from '@bufbuild/protobuf';
import { auth, media, message as pb, search } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectReason, signUp, type AuthClient } from '../../../test/helpers/auth-helpers.js';
import { photoWithGps } from '../../../test/helpers/media-fixtures.js';
import { get, uploadOk } from '../../../test/helpers/media-helpers.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';

/**
 * Merge-forward through a real server: the record is built from what the forwarder sees,
 * and its files open for the record's viewers only.
 */
describe('message: merge-forward (chat records)', () => {
  let server: TestServer;
  let api: AuthClient;
  const msgApi = () => server.client(pb.MessageService);
  const internal = () => server.app.value('rpc').client(pb.MessageInternalService);

  beforeAll(async () => {
    server = await startTestServer({
      overrides: { message: { sendBurst: 1000, sendRatePerSecond: 1000 }, search: { pollIntervalMs: 20 } },
    });
    api = server.client(auth.AuthService);
  });
  afterAll(() => server?.stop());

  async function user() {
    const { session } = await signUp(server, api);
    return { id: session.user!.id, token: session.accessToken, h: bearer(session.accessToken) };
  }
  type User = Awaited<ReturnType<typeof user>>;
  let n = 0;
  const cid = () => `r${Date.now()}${n++}`;
  const gid = () => `7${Date.now()}${Math.floor(Math.random() * 1000)}${n++}`;
  const setGroup = (id: string, owner: User, ...members: User[]) =>
    internal().applyGroup({
      conversationId: id,
      name: 'G',
      members: [{ userId: owner.id, role: 3 }, ...members.map((m) => ({ userId: m.id, role: 1 }))],
    });
  const send = async (u: User, conversationId: string, body: pb.MessageContent['body']) =>
    (
      await msgApi().sendMessage(
        { conversationId, clientMsgId: cid(), content: create(pb.MessageContentSchema, { body }) },
        u.h,
      )
    ).message!;
  const text = (u: User, c: string, t: string) => send(u, c, { case: 'text', value: { text: t } });
  const urlOf = (u: User, conversationId: string, seq: number, mediaId: string) =>
    msgApi().getAttachmentUrl({ conversationId, seq, mediaId, variant: media.MediaVariant.ORIGINAL }, u.h);
  const forward = (u: User, req: Partial<pb.ForwardMessagesRequest>) =>
    msgApi().forwardMessages({ clientMsgId: cid(), title: 'Chat history', ...req }, u.h);

  it('forwards what the forwarder sees as one record whose files open for its viewers only', async () => {
    const [owner, fwd, viewer, stranger] = [await user(), await user(), await user(), await user()];
    const source = gid();
    await setGroup(source, owner, fwd);
    const target = gid();
    await setGroup(target, fwd, viewer);
    const photo = await uploadOk(server.baseUrl, owner.token, 'image', await photoWithGps(160, 90), 'p.jpg');
    const t1 = await text(owner, source, 'first');
    const img = await send(owner, source, { case: 'image', value: { images: [{ mediaId: photo.id }] } });
    const t2 = await text(fwd, source, 'second');

    const r = await forward(fwd, {
      conversationId: target,
      sourceConversationId: source,
      seqs: [t2.seq, t1.seq, img.seq],
      title: 'Chat history of G',
    });
    const rec = r.message!;
    expect(r.duplicate).toBe(false);
    expect(rec.type).toBe(pb.MessageType.CHAT_RECORD);
    const body = rec.content!.body;
    if (body.case !== 'chatRecord') throw new Error('not a chat record');
    expect(body.value.title).toBe('Chat history of G');
    expect(body.value.sourceType).toBe(pb.ConversationType.GROUP);
    // Oldest first, whatever order the seqs were given in; senders and times kept.
    expect(body.value.items.map((i) => i.senderId)).toEqual([owner.id, owner.id, fwd.id]);
    expect(body.value.items.map((i) => i.type)).toEqual([
      pb.MessageType.TEXT,
      pb.MessageType.IMAGE,
      pb.MessageType.TEXT,
    ]);
    expect(body.value.items[0]!.createdAt).toEqual(t1.createdAt);

    // The viewer (not in the source group) sees the record in history and opens its image.
    const page = await msgApi().getHistory({ conversationId: target }, viewer.h);
    expect(page.messages.map((m) => m.seq)).toContain(rec.seq);
    const got = await get(server.baseUrl + (await urlOf(viewer, target, rec.seq, photo.id)).url);
    expect(got.status).toBe(200);
    expect(got.body.length).toBe(Number(photo.size));
    // ...but not through the source message, and a stranger not through the record.
    await expectReason(urlOf(viewer, source, img.seq, photo.id), 'NOT_FOUND');
    await expectReason(urlOf(stranger, target, rec.seq, photo.id), 'NOT_FOUND');

    // A chat's "media and files": its images only, for its members only; gone once deleted for me.
    const images = (u: User, conversationId: string) =>
      server
        .client(search.SearchService)
        .searchFiles({ query: '', kind: search.FileKind.IMAGE, conversationId }, u.h);
    for (let i = 0; i < 400 && (await images(fwd, source)).chatFiles.length === 0; i++)
      await new Promise((r) => setTimeout(r, 25));
    const files = await images(fwd, source);
    expect(files.chatFiles.map((f) => f.message!.seq)).toEqual([img.seq]);
    expect(files.driveFiles).toEqual([]);
    expect((await images(viewer, source)).chatFiles).toEqual([]);
    expect((await images(fwd, target)).chatFiles).toEqual([]);
    await msgApi().hideMessages({ conversationId: source, seqs: [img.seq] }, owner.h);
    expect((await images(owner, source)).chatFiles).toEqual([]);
    expect((await images(fwd, source)).chatFiles.length).toBe(1);
    await expectReason(images(fwd, 'nope'), 'INVALID_ARGUMENT');

    // A record of a record carries the files along (granted through the first record).
    const again = await forward(viewer, {
      conversationId: target,
      sourceConversationId: target,
      seqs: [rec.seq],
    });
    expect((await urlOf(fwd, target, again.message!.seq, photo.id)).url).not.toBe('');

    // A retry with the same client id is the same record, even after a source was recalled.
    const cmid = cid();
    const first = await forward(fwd, {
      clientMsgId: cmid,
      conversationId: target,
      sourceConversationId: source,
      seqs: [t2.seq],
    });
    await msgApi().recallMessage({ conversationId: source, seq: t2.seq }, fwd.h);
    const retry = await forward(fwd, {
      clientMsgId: cmid,
      conversationId: target,
      sourceConversationId: source,
      seqs: [t2.seq],
    });
    expect(retry.duplicate).toBe(true);
    expect(retry.message!.seq).toBe(first.message!.seq);
    // The recalled message cannot be forwarded again.
    await expectReason(
      forward(fwd, { conversationId: target, sourceConversationId: source, seqs: [t2.seq] }),
      'PERMISSION_DENIED',
    );
  });

  it('refuses what the forwarder cannot see, too many messages and records sent by hand', async () => {
    const [owner, late, stranger] = [await user(), await user(), await user()];
    const source = gid();
    await setGroup(source, owner);
    const early = await text(owner, source, 'before you came');
    await setGroup(source, owner, late);
    const after = await text(owner, source, 'after you came');
    const mine = gid();
    await setGroup(mine, late);
    const theirs = gid();
    await setGroup(theirs, stranger);

    // A member who joined later: the message from before they joined is not theirs to forward.
    await expectReason(
      forward(late, { conversationId: mine, sourceConversationId: source, seqs: [early.seq, after.seq] }),
      'PERMISSION_DENIED',
    );
    // Not a member of the source at all, or a made-up seq.
    await expectReason(
      forward(stranger, { conversationId: mine, sourceConversationId: source, seqs: [after.seq] }),
      'PERMISSION_DENIED',
    );
    await expectReason(
      forward(late, { conversationId: mine, sourceConversationId: source, seqs: [after.seq + 50] }),
      'PERMISSION_DENIED',
    );
    // Into a conversation the forwarder is not in.
    await expectReason(
      forward(late, { conversationId: theirs, sourceConversationId: source, seqs: [after.seq] }),
      'NOT_FOUND',
    );
    // 101 messages, none, twice the same, a title too long, a bad client id.
    const many = Array.from({ length: 101 }, (_, i) => i + 1);
    await expectReason(
      forward(owner, { conversationId: source, sourceConversationId: source, seqs: many }),
      'FORWARD_TOO_MANY',
    );
    await expectReason(
      forward(owner, { conversationId: source, sourceConversationId: source, seqs: [] }),
      'INVALID_ARGUMENT',
    );
    await expectReason(
      forward(owner, { conversationId: source, sourceConversationId: source, seqs: [1, 1] }),
      'INVALID_ARGUMENT',
    );
    await expectReason(
      forward(owner, {
        conversationId: source,
        sourceConversationId: source,
        seqs: [after.seq],
        title: 'x'.repeat(129),
      }),
      'FIELD_TOO_LONG',
    );
    await expectReason(
      forward(owner, { clientMsgId: '', conversationId: source, sourceConversationId: source, seqs: [1] }),
      'INVALID_ARGUMENT',
    );
    // System messages are not forwardable (the join notices of this group).
    const hist = await msgApi().getHistory({ conversationId: source }, owner.h);
    const system = hist.messages.find((m) => m.type === pb.MessageType.SYSTEM);
    if (system)
      await expectReason(
        forward(owner, { conversationId: source, sourceConversationId: source, seqs: [system.seq] }),
        'INVALID_ARGUMENT',
      );
    // A chat record cannot be written by hand through SendMessage (its snapshots would be forged).
    await expectReason(
      send(owner, source, {
        case: 'chatRecord',
        value: {
          title: 'fake',
          items: [{ senderId: stranger.id, content: { body: { case: 'text', value: { text: 'forged' } } } }],
        },
      }),
      'UNSUPPORTED_MESSAGE_TYPE',
    );
    await expectReason(
      msgApi().forwardMessages({
        conversationId: source,
        sourceConversationId: source,
        seqs: [1],
        clientMsgId: 'x',
      }),
      'UNAUTHENTICATED',
    );
  });

  it('forwards 100 at once and refuses a record larger than a message may be', async () => {
    const owner = await user();
    const g = gid();
    await setGroup(g, owner);
    const seqs: number[] = [];
    for (let i = 0; i < 100; i++) seqs.push((await text(owner, g, `m${i} ${'字'.repeat(900)}`)).seq);
    // 100 texts of ~2.7 KB: over 256 KiB as one record.
    await expectReason(
      forward(owner, { conversationId: g, sourceConversationId: g, seqs }),
      'RECORD_TOO_LARGE',
    );
    const r = await forward(owner, { conversationId: g, sourceConversationId: g, seqs: seqs.slice(0, 80) });
    const b = r.message!.content!.body;
    expect(b.case === 'chatRecord' && b.value.items.length).toBe(80);
  });
});
