import { auth } from '@mychat/protocol';
import { MyChatClient, MyChatError, type ChatMessage, type MessageMeta } from '@mychat/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, signUp, type AuthClient } from '../helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** "My files" and the file transfer conversation through the SDK against a real server. */
describe('sdk: drive and file transfer', () => {
  let server: TestServer;
  let api: AuthClient;
  const clients: MyChatClient[] = [];
  let n = 0;

  beforeAll(async () => {
    server = await startTestServer({ overrides: { message: { sendBurst: 1000, sendRatePerSecond: 1000 } } });
    api = server.client(auth.AuthService);
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await server?.stop();
  });

  function client(deviceId: string, clientType: 'pc' | 'web' = 'web') {
    const c = new MyChatClient({
      baseUrl: server.baseUrl,
      device: { clientType, deviceId, name: 'vitest' },
    });
    clients.push(c);
    return c;
  }

  /** A signed-up user with a client signed in on one device. */
  async function user(clientType: 'pc' | 'web' = 'web') {
    const { email } = await signUp(server, api);
    const c = client(`u${++n}-${clientType}`, clientType);
    const me = await c.auth.login({ to: { email }, password: PASSWORD });
    return { email, id: me.id, n, c };
  }

  async function reason(p: Promise<unknown>): Promise<string> {
    try {
      await p;
    } catch (err) {
      expect(err).toBeInstanceOf(MyChatError);
      return (err as MyChatError).reason;
    }
    return 'resolved';
  }

  it('keeps folders: create, list with breadcrumbs, rename, move, delete', async () => {
    const { c } = await user();
    const docs = await c.drive.createFolder('Docs');
    const old = await c.drive.createFolder('Old', docs.id);
    expect(old).toMatchObject({ name: 'Old', parentId: docs.id, isFolder: true });
    expect((await c.drive.list()).entries.map((e) => e.name)).toEqual(['Docs']);
    const inside = await c.drive.list(old.id);
    expect(inside.path.map((e) => e.name)).toEqual(['Docs', 'Old']);

    expect((await c.drive.rename(old.id, '2025 archive')).name).toBe('2025 archive');
    const moved = await c.drive.move(old.id, '');
    expect(moved.parentId).toBe('');
    expect((await c.drive.list()).entries.map((e) => e.name)).toEqual(['2025 archive', 'Docs']);
    await c.drive.delete(docs.id);
    expect((await c.drive.list()).entries.map((e) => e.name)).toEqual(['2025 archive']);
  });

  it('keeps an uploaded file, counts it in the quota, and sends it to a chat without uploading again', async () => {
    const { c, id } = await user();
    const bytes = Buffer.from('%PDF-1.4\n' + 'x'.repeat(3000));
    const m = await c.media.upload(bytes, { name: 'report.pdf', kind: 'file' });
    const before = await c.drive.quota();
    expect(before.usedBytes).toBeGreaterThanOrEqual(bytes.length);
    expect(before.limitBytes).toBeGreaterThan(before.usedBytes);

    const kept = await c.drive.addToDrive(m.id);
    expect(kept).toMatchObject({ name: 'report.pdf', isFolder: false });
    expect(kept.file).toMatchObject({ mediaId: m.id, kind: 'file', size: bytes.length, ready: true });
    // Kept twice: a second entry with its own name, the bytes counted once.
    expect((await c.drive.addToDrive(m.id)).name).toBe('report (2).pdf');
    expect((await c.drive.quota()).usedBytes).toBe(before.usedBytes);

    const self = await c.messages.fileTransferConversation();
    const sent = await c.messages.sendFile(self.id, kept.file!.mediaId, { name: kept.name });
    expect(sent.senderId).toBe(id);
    expect(sent.content).toMatchObject({
      type: 'file',
      name: 'report.pdf',
      file: { mediaId: m.id, size: String(bytes.length) },
    });
  });

  it('keeps a file a friend sent as one own copy, counted in the quota and readable', async () => {
    const [a, b] = [await user(), await user()];
    const { request } = await a.c.contacts.request(b.id, 'hi');
    const { conversationId } = await b.c.contacts.respond(request.id, 'accept');
    const bytes = Buffer.from('%PDF-1.4\n' + 'y'.repeat(5000));
    const sent = await a.c.media.upload(bytes, { name: 'plan.pdf', kind: 'file' });
    const msg = await a.c.messages.sendFile(conversationId!, sent.id, { name: 'plan.pdf' });
    const before = await b.c.drive.quota();

    // Someone else's file is kept through the message that carries it.
    expect(await reason(b.c.drive.addToDrive(sent.id))).toBe('PERMISSION_DENIED');
    const kept = await b.c.drive.saveAttachment(msg, sent.id);
    expect(kept).toMatchObject({ name: 'plan.pdf', isFolder: false });
    expect(kept.file).toMatchObject({ kind: 'file', size: bytes.length, ready: true });
    expect(kept.file!.mediaId).not.toBe(sent.id);
    expect((await b.c.drive.quota()).usedBytes).toBe(before.usedBytes + bytes.length);
    // Kept again: another entry of the same copy, counted once.
    const again = await b.c.drive.saveAttachment(msg, sent.id);
    expect([again.name, again.file!.mediaId]).toEqual(['plan (2).pdf', kept.file!.mediaId]);
    expect((await b.c.drive.quota()).usedBytes).toBe(before.usedBytes + bytes.length);

    // The copy is the keeper's to read (its own bytes: the sender's file is another).
    const { url } = await b.c.media.downloadUrl(kept.file!.mediaId);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);

    // Someone who cannot see the file cannot keep it.
    const stranger = await user();
    expect(await reason(stranger.c.drive.addToDrive(sent.id))).toBe('PERMISSION_DENIED');
    expect(await reason(stranger.c.drive.saveAttachment(msg, sent.id))).toBe('NOT_FOUND');
  });

  it('carries a file from one device to the other through the file transfer conversation', async () => {
    const a = await user('web');
    const b = client(`u${a.n}-pc`, 'pc');
    await b.auth.login({ to: { email: a.email }, password: PASSWORD });
    const onB: { m: ChatMessage; meta: MessageMeta }[] = [];
    b.on('message', (m, meta) => onB.push({ m, meta }));
    await Promise.all([a.c.connect(), b.connect()]);

    const conv = await a.c.messages.fileTransferConversation();
    expect(conv).toMatchObject({ type: 'self', canSend: true, memberCount: 1 });
    expect((await b.messages.fileTransferConversation()).id).toBe(conv.id);

    const m = await a.c.media.upload(Buffer.from('notes'), { name: 'n.txt', kind: 'file' });
    await a.c.messages.sendFile(conv.id, m.id, { name: 'notes.txt' });
    await expect
      .poll(() => onB.find((x) => x.m.conversationId === conv.id)?.m.content, { timeout: 20_000 })
      .toMatchObject({ type: 'file', name: 'notes.txt' });
    expect(onB.find((x) => x.m.conversationId === conv.id)?.meta.source).toBe('push');
    expect((await b.messages.conversation(conv.id)).type).toBe('self');
  });

  it('refuses bad names, folder loops, other people’s entries and their file transfer conversation', async () => {
    const { c } = await user();
    const f = await c.drive.createFolder('Photos');
    const sub = await c.drive.createFolder('Trips', f.id);
    expect(await reason(c.drive.rename(f.id, ''))).toBe('INVALID_ARGUMENT');
    expect(await reason(c.drive.rename(f.id, '   '))).toBe('INVALID_ARGUMENT');
    expect(await reason(c.drive.rename(f.id, 'x'.repeat(201)))).toBe('INVALID_ARGUMENT');
    expect(await reason(c.drive.rename(f.id, '../../etc/passwd'))).toBe('INVALID_ARGUMENT');
    expect(await reason(c.drive.rename(f.id, '..'))).toBe('INVALID_ARGUMENT');
    expect(await reason(c.drive.rename(f.id, 'a\\b'))).toBe('INVALID_ARGUMENT');
    expect(await reason(c.drive.createFolder('../up'))).toBe('INVALID_ARGUMENT');
    expect(await reason(c.drive.rename('not-an-id', 'x'))).toBe('INVALID_ARGUMENT');
    // The name stayed; a 200-character name is fine.
    expect((await c.drive.list()).entries.map((e) => e.name)).toEqual(['Photos']);
    expect((await c.drive.rename(f.id, 'é'.repeat(200))).name).toBe('é'.repeat(200));

    expect(await reason(c.drive.move(f.id, f.id))).toBe('INVALID_ARGUMENT');
    expect(await reason(c.drive.move(f.id, sub.id))).toBe('INVALID_ARGUMENT');

    const other = await user();
    expect(await reason(other.c.drive.delete(f.id))).toBe('NOT_FOUND');
    expect(await reason(other.c.drive.rename(f.id, 'mine'))).toBe('NOT_FOUND');
    expect(await reason(other.c.drive.list(f.id))).toBe('NOT_FOUND');
    expect((await c.drive.list(f.id)).entries.map((e) => e.name)).toEqual(['Trips']);

    const mine = await c.messages.fileTransferConversation();
    expect(await reason(other.c.messages.sendText(mine.id, 'hi'))).toBe('NOT_FOUND');
    expect(await reason(other.c.messages.history(mine.id))).toBe('NOT_FOUND');
  });

  it('asks to sign in first', async () => {
    const c = client('nobody');
    expect(await reason(c.drive.list())).toBe('UNAUTHENTICATED');
    expect(await reason(c.drive.createFolder('x'))).toBe('UNAUTHENTICATED');
    expect(await reason(c.drive.quota())).toBe('UNAUTHENTICATED');
    expect(await reason(c.messages.fileTransferConversation())).toBe('UNAUTHENTICATED');
  });
});

describe('sdk: keeping someone else’s file counts against one’s own quota', () => {
  let server: TestServer;
  const clients: MyChatClient[] = [];
  beforeAll(async () => {
    server = await startTestServer({ overrides: { media: { quotaBytes: 8000 } } });
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    await server?.stop();
  });

  it('refuses the copy with QUOTA_EXCEEDED when it does not fit', async () => {
    const api = server.client(auth.AuthService);
    const [a, b] = await Promise.all(
      ['a', 'b'].map(async (name) => {
        const { email } = await signUp(server, api);
        const c = new MyChatClient({
          baseUrl: server.baseUrl,
          device: { clientType: 'web', deviceId: name, name },
        });
        clients.push(c);
        return { c, id: (await c.auth.login({ to: { email }, password: PASSWORD })).id };
      }),
    );
    const { request } = await a.c.contacts.request(b.id, 'hi');
    const { conversationId } = await b.c.contacts.respond(request.id, 'accept');
    const big = await a.c.media.upload(Buffer.from('%PDF-1.4\n' + 'a'.repeat(6000)), {
      name: 'big.pdf',
      kind: 'file',
    });
    const msg = await a.c.messages.sendFile(conversationId!, big.id, { name: 'big.pdf' });
    await b.c.media.upload(Buffer.from('%PDF-1.4\n' + 'b'.repeat(3000)), { name: 'own.pdf', kind: 'file' });
    const err = await b.c.drive.saveAttachment(msg, big.id).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as MyChatError).reason).toBe('QUOTA_EXCEEDED');
    expect((await b.c.drive.list()).entries.map((e) => e.name)).toEqual([]);
  });
});
