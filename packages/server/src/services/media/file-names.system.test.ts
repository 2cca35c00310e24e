import { create } from '@bufbuild/protobuf';
import { auth, media, message as pb } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectReason, signUp, type AuthClient } from '../../../test/helpers/auth-helpers.js';
import { tus, tusMetadata, uploadOk } from '../../../test/helpers/media-helpers.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';

/** "invoice<RLO>fdp.exe" is shown as "invoiceexe.pdf" by any bidi-aware renderer. */
const SPOOF = 'invoice\u202Efdp.exe';
const CONTROLS = 'a\u0007b\u0085c\u2066d\u200Fe.txt';

/**
 * File names reach other people's screens from three places: uploads (both paths), the drive,
 * and the name in a file message. None of them keeps control or bidi formatting characters.
 */
describe('media: file names without controls or bidi overrides', () => {
  let server: TestServer;
  let api: AuthClient;
  const mediaApi = () => server.client(media.MediaService);
  const msgApi = () => server.client(pb.MessageService);

  beforeAll(async () => {
    server = await startTestServer();
    api = server.client(auth.AuthService);
  });
  afterAll(() => server?.stop());

  async function user() {
    const { session } = await signUp(server, api);
    return { id: session.user!.id, token: session.accessToken, h: bearer(session.accessToken) };
  }

  it('strips them from a one-request upload and from its drive entry', async () => {
    const a = await user();
    const m = await uploadOk(server.baseUrl, a.token, 'file', Buffer.from('%PDF-1.4\n'), SPOOF);
    expect(m.name).toBe('invoicefdp.exe');
    const bad = await uploadOk(server.baseUrl, a.token, 'file', Buffer.from('notes\n'), CONTROLS);
    expect(bad.name).toBe('abcde.txt');
    const kept = await mediaApi().addToDrive({ mediaId: m.id, folderId: '' }, a.h);
    expect(kept.entry!.name).toBe('invoicefdp.exe');
  });

  it('strips them from a resumable upload', async () => {
    const a = await user();
    const bytes = Buffer.from('resumable body\n');
    const tusUrl = `${server.baseUrl}/media/v1/tus`;
    const created = await tus(tusUrl, 'POST', a.token, {
      'upload-length': String(bytes.length),
      'upload-metadata': tusMetadata({ kind: 'file', filename: SPOOF }),
    });
    expect(created.status).toBe(201);
    const url = new URL(created.headers.get('location')!, tusUrl + '/').toString();
    const done = await tus(
      url,
      'PATCH',
      a.token,
      { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      bytes,
    );
    expect(done.status).toBe(204);
    const { media: m } = await mediaApi().getMedia({ mediaId: done.headers.get('x-media-id')! }, a.h);
    expect(m!.name).toBe('invoicefdp.exe');
  });

  it('refuses a drive name typed with them rather than storing it', async () => {
    const a = await user();
    await expectReason(mediaApi().createFolder({ parentId: '', name: SPOOF }, a.h), 'INVALID_ARGUMENT');
    const m = await uploadOk(server.baseUrl, a.token, 'file', Buffer.from('x\n'), 'plain.txt');
    const e = await mediaApi().addToDrive({ mediaId: m.id, folderId: '' }, a.h);
    await expectReason(
      mediaApi().renameEntry({ entryId: e.entry!.id, name: 'report\u202Etxt.exe' }, a.h),
      'INVALID_ARGUMENT',
    );
  });

  it('strips them from the name of a file message as the receiver gets it', async () => {
    const a = await user();
    const m = await uploadOk(server.baseUrl, a.token, 'file', Buffer.from('minutes\n'), 'minutes.txt');
    const conv = (await msgApi().getFileTransferConversation({}, a.h)).conversation!.id;
    const content = create(pb.MessageContentSchema, {
      body: { case: 'file', value: { file: { mediaId: m.id }, name: `${SPOOF}\u001b[31m\u0085` } },
    });
    await msgApi().sendMessage({ conversationId: conv, clientMsgId: `fn${Date.now()}`, content }, a.h);
    // NUL is refused outright at the edge (as in every text field), never stored.
    const nul = create(pb.MessageContentSchema, {
      body: { case: 'file', value: { file: { mediaId: m.id }, name: 'a\u0000b.txt' } },
    });
    await expectReason(
      msgApi().sendMessage({ conversationId: conv, clientMsgId: `fz${Date.now()}`, content: nul }, a.h),
      'INVALID_ARGUMENT',
    );
    const h = await msgApi().getHistory({ conversationId: conv, afterSeq: 0, limit: 10 }, a.h);
    const body = h.messages[0]!.content!.body;
    expect(body.case === 'file' && body.value.name).toBe('invoicefdp.exe[31m');
  });
});
