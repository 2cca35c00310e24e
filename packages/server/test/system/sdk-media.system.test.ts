import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { auth } from '@mychat/protocol';
import { MemoryUploadStore, MyChatClient, type MyChatError, type UploadStore } from '@mychat/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, signUp, type AuthClient } from '../helpers/auth-helpers.js';
import { mpeg4Mp4, noisyPng, voiceWebm } from '../helpers/media-fixtures.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Remembers every upload URL it was given, so a test can ask the server about it afterwards. */
class RecordingUploadStore extends MemoryUploadStore {
  readonly given: string[] = [];
  override async set(fingerprint: string, url: string): Promise<void> {
    this.given.push(url);
    return super.set(fingerprint, url);
  }
}

/**
 * A TCP relay in front of the server that can drop the connection once a number of bytes
 * went upstream, as a phone losing its network in the middle of an upload.
 */
async function cuttingProxy(target: string) {
  const { hostname, port } = new URL(target);
  let cutAfter = Infinity;
  let sinceArmed = 0;
  let upstream = 0;
  let cuts = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const peer = net.connect(Number(port), hostname);
    sockets.add(client).add(peer);
    const drop = () => {
      client.destroy();
      peer.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      upstream += chunk.length;
      sinceArmed += chunk.length;
      if (sinceArmed > cutAfter) {
        cutAfter = Infinity;
        cuts++;
        drop();
        return;
      }
      peer.write(chunk);
    });
    peer.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('close', drop).on('error', drop);
    peer.on('close', drop).on('error', drop);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    /** Drops the connection carrying the byte after the next `bytes` ones. */
    arm(bytes: number) {
      sinceArmed = 0;
      cutAfter = bytes;
    },
    get upstream() {
      return upstream;
    },
    get cuts() {
      return cuts;
    },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** Uploads through the SDK against a real server (all modules, real HTTP and tus), as an app does. */
describe('sdk: media', () => {
  let server: TestServer;
  let api: AuthClient;
  const clients: MyChatClient[] = [];
  let proxy: Awaited<ReturnType<typeof cuttingProxy>>;

  beforeAll(async () => {
    server = await startTestServer({
      overrides: {
        media: { quotaBytes: 6 * MiB },
        message: { sendBurst: 1000, sendRatePerSecond: 1000 },
        worker: { pollIntervalMs: 50 },
      },
    });
    api = server.client(auth.AuthService);
    proxy = await cuttingProxy(server.baseUrl);
  });
  afterAll(async () => {
    for (const c of clients) await c.close();
    proxy?.close();
    await server?.stop();
  });

  /** Files over 256 KiB go resumable, in 128 KiB chunks, so a test needs no big file. */
  function client(
    email: string,
    opts: { baseUrl?: string; uploadStore?: UploadStore; retryDelaysMs?: number[]; deviceId?: string } = {},
  ) {
    const c = new MyChatClient({
      baseUrl: opts.baseUrl ?? server.baseUrl,
      device: { clientType: 'bot', deviceId: opts.deviceId ?? 'media-1', name: 'vitest' },
      ...(opts.uploadStore && { uploadStore: opts.uploadStore }),
      media: {
        resumableThresholdBytes: 256 * KiB,
        chunkBytes: 128 * KiB,
        retryDelaysMs: opts.retryDelaysMs ?? [50, 100, 200],
      },
    });
    clients.push(c);
    return c;
  }

  async function user(nickname: string, opts: Parameters<typeof client>[1] = {}) {
    const { email } = await signUp(server, api, { nickname });
    const c = client(email, opts);
    const me = await c.auth.login({ to: { email }, password: PASSWORD });
    return { client: c, me, email };
  }

  async function befriend(a: MyChatClient, bId: string, b: MyChatClient): Promise<string> {
    const { request } = await a.contacts.request(bId, 'hi');
    const { conversationId } = await b.contacts.respond(request.id, 'accept');
    return conversationId!;
  }

  /** One's own file, or (`at`) one seen in a chat: the message that carries it. */
  async function download(
    c: MyChatClient,
    mediaId: string,
    variant?: 'thumbnail' | 'poster',
    at?: { conversationId: string; seq: number },
  ): Promise<Uint8Array> {
    const where = at ? { conversationId: at.conversationId, seq: at.seq } : {};
    const { url } = await c.media.downloadUrl(mediaId, variant ? { variant, ...where } : where);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    return new Uint8Array(await res.arrayBuffer());
  }

  const reason = (p: Promise<unknown>) =>
    p.then(
      () => 'resolved',
      (e: MyChatError) => e.reason ?? String(e),
    );

  it('uploads a small image in one request and a large file resumably; the bytes come back the same', async () => {
    const { client: c, me } = await user('Uploader');
    const png = await noisyPng(120, 80);
    const progress: [number, number][] = [];
    const img = await c.media.upload(new Blob([png], { type: 'image/png' }), {
      name: 'noise.png',
      onProgress: (s, t) => progress.push([s, t]),
    });
    expect(img).toMatchObject({ kind: 'image', status: 'ready', ownerId: me.id, width: 120, height: 80 });
    expect(img.placeholder).toMatch(/^data:image\//);
    expect(img.hasThumbnail).toBe(true);
    expect(progress.at(-1)).toEqual([png.length, png.length]);
    expect(sha256(await download(c, img.id))).toBe(sha256(png));
    expect((await download(c, img.id, 'thumbnail')).length).toBeGreaterThan(0);

    const big = randomBytes(1 * MiB + 12_345);
    const steps: number[] = [];
    const file = await c.media.upload(big, { name: 'data.bin', onProgress: (s) => steps.push(s) });
    expect(file).toMatchObject({ kind: 'file', size: big.length, sha256: sha256(big), name: 'data.bin' });
    // Chunked: progress after every 128 KiB step, ending at the full size.
    expect(steps.length).toBeGreaterThanOrEqual(9);
    expect(steps.at(-1)).toBe(big.length);
    expect(sha256(await download(c, file.id))).toBe(sha256(big));
    expect((await c.media.get(file.id)).id).toBe(file.id);
  });

  it('resumes after the connection is cut halfway, sending only what the server lacks', async () => {
    const { client: c } = await user('Resumer', { baseUrl: proxy.url });
    const big = randomBytes(2 * MiB);
    const before = proxy.upstream;
    proxy.arm(1 * MiB + 50 * KiB);
    const file = await c.media.upload(big, { name: 'cut.bin' });
    expect(proxy.cuts).toBe(1);
    expect(sha256(await download(c, file.id))).toBe(sha256(big));
    // Starting over would have sent the first megabyte twice.
    expect(proxy.upstream - before).toBeLessThan(2 * MiB + 512 * KiB);
  });

  it('resumes after a restart from the upload store, and forgets it once done', async () => {
    const store = new MemoryUploadStore();
    const first = await user('Restarter', { baseUrl: proxy.url, uploadStore: store, retryDelaysMs: [] });
    const big = randomBytes(1 * MiB + 7);
    proxy.arm(600 * KiB);
    expect(await reason(first.client.media.upload(big, { name: 'again.bin' }))).toBe('NETWORK');
    expect(store.size).toBe(1);
    await first.client.close();

    // A new process (another client object) with the same persistent store.
    const second = client(first.email, { uploadStore: store, deviceId: 'media-2' });
    await second.auth.login({ to: { email: first.email }, password: PASSWORD });
    const steps: number[] = [];
    const file = await second.media.upload(big, { name: 'again.bin', onProgress: (s) => steps.push(s) });
    expect(steps[0]).toBeGreaterThanOrEqual(256 * KiB);
    expect(sha256(await download(second, file.id))).toBe(sha256(big));
    expect(store.size).toBe(0);
  });

  it('cancels an upload midway: CANCELLED, the server deletes it and nothing counts', async () => {
    const store = new RecordingUploadStore();
    const { client: c } = await user('Canceller', { uploadStore: store });
    const ctl = new AbortController();
    const big = randomBytes(1 * MiB);
    const p = c.media.upload(big, {
      name: 'cancel.bin',
      signal: ctl.signal,
      onProgress: (sent) => {
        if (sent >= 256 * KiB) ctl.abort();
      },
    });
    expect(await reason(p)).toBe('CANCELLED');
    expect(store.given).toHaveLength(1);
    expect(store.size).toBe(0);
    const head = await fetch(store.given[0]!, {
      method: 'HEAD',
      headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${await c.auth.accessToken()}` },
    });
    expect(head.status).toBe(404);
    expect((await c.media.quota()).usedBytes).toBe(0);
    expect((await c.messages.conversations()).length).toBe(0);
    // Cancelled before it starts: no request at all.
    expect(await reason(c.media.upload(big, { name: 'x.bin', signal: AbortSignal.abort() }))).toBe(
      'CANCELLED',
    );
  });

  it('refuses bad uploads with stable codes: over quota, wrong type, empty', async () => {
    const store = new MemoryUploadStore();
    const { client: c } = await user('Refused', { uploadStore: store });
    // Over the 6 MiB quota: refused when the resumable upload is created, before any byte is sent.
    expect(await reason(c.media.upload(new Uint8Array(7 * MiB), { name: 'huge.bin' }))).toBe(
      'QUOTA_EXCEEDED',
    );
    // Not an image, in one request and resumably (refused when the bytes are all there).
    const text = new TextEncoder().encode('just some text, not a picture');
    expect(await reason(c.media.upload(text, { name: 'fake.png', kind: 'image' }))).toBe(
      'MEDIA_TYPE_NOT_ALLOWED',
    );
    expect(await reason(c.media.upload(randomBytes(300 * KiB), { name: 'fake.jpg', kind: 'image' }))).toBe(
      'MEDIA_TYPE_NOT_ALLOWED',
    );
    expect(store.size).toBe(0);
    expect(await reason(c.media.upload(new Uint8Array(0), { name: 'empty.txt' }))).toBe('INVALID_ARGUMENT');
    expect(await reason(c.media.upload(text, { name: 'a', kind: 'sticker' as 'file' }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect((await c.media.quota()).usedBytes).toBe(0);
  });

  it('sends images, voice and files; forwarding reuses the stored file; strangers get no URL', async () => {
    const alice = await user('Alice');
    const bob = await user('Bob');
    const carol = await user('Carol');
    const dave = await user('Dave');
    const ab = await befriend(alice.client, bob.me.id, bob.client);
    const bc = await befriend(bob.client, carol.me.id, carol.client);

    const pngs = await Promise.all([noisyPng(64, 48), noisyPng(48, 64)]);
    const imgs = await Promise.all(
      pngs.map((b, i) => alice.client.media.upload(b, { name: `p${i}.png`, contentType: 'image/png' })),
    );
    const sent = await alice.client.messages.sendImages(ab, imgs);
    expect(sent.content).toMatchObject({
      type: 'image',
      images: [
        { mediaId: imgs[0]!.id, width: 64, height: 48, mime: 'image/png' },
        { mediaId: imgs[1]!.id, width: 48, height: 64 },
      ],
    });
    expect(await reason(alice.client.messages.sendImages(ab, Array(10).fill(imgs[0]!.id) as string[]))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await reason(alice.client.messages.sendImages(ab, []))).toBe('INVALID_ARGUMENT');

    const voice = await alice.client.media.upload(await voiceWebm(2), { name: 'v.webm', kind: 'voice' });
    const v = await alice.client.messages.sendVoice(ab, voice);
    expect(v.content.type).toBe('voice');
    if (v.content.type === 'voice') {
      expect(v.content.durationMs).toBeGreaterThan(1500);
      expect(v.content.waveform).toHaveLength(64);
    }
    const doc = await alice.client.media.upload(new TextEncoder().encode('minutes of the meeting'), {
      name: 'minutes.txt',
    });
    const f = await alice.client.messages.sendFile(ab, doc);
    expect(f.content).toMatchObject({ type: 'file', name: 'minutes.txt', file: { mediaId: doc.id } });

    // Bob sees them and can download what he was sent.
    const [friendsLine, ...messages] = (await bob.client.messages.history(ab)).messages;
    expect(friendsLine?.content).toMatchObject({ type: 'system', kind: 'friend_added' });
    expect(messages.map((m) => m.content.type)).toEqual(['image', 'voice', 'file']);
    expect(sha256(await download(bob.client, imgs[0]!.id, undefined, messages[0]))).toBe(sha256(pngs[0]!));
    // Naming the message asks the message service, which decides who sees a chat's files.
    const inChat = { conversationId: ab, seq: messages[0]!.seq };
    const viaMessage = await bob.client.media.downloadUrl(imgs[1]!.id, inChat);
    expect(sha256(new Uint8Array(await (await fetch(viaMessage.url)).arrayBuffer()))).toBe(sha256(pngs[1]!));
    expect(viaMessage.expiresAt).toBeGreaterThan(Date.now());
    // A file that message does not carry is refused, though Bob can see it elsewhere.
    expect(await reason(bob.client.media.downloadUrl(doc.id, inChat))).toBe('NOT_FOUND');

    // Bob forwards the images to Carol: same files, nothing uploaded, nothing counted for Bob.
    const fwd = await bob.client.messages.forward(messages[0]!, bc);
    expect(fwd.conversationId).toBe(bc);
    expect(fwd.content.type === 'image' && fwd.content.images.map((i) => i.mediaId)).toEqual(
      imgs.map((i) => i.id),
    );
    expect((await bob.client.media.quota()).usedBytes).toBe(0);
    expect(sha256(await download(carol.client, imgs[1]!.id, undefined, fwd))).toBe(sha256(pngs[1]!));

    // Dave is in neither conversation.
    expect(await reason(dave.client.media.downloadUrl(imgs[0]!.id))).toBe('PERMISSION_DENIED');
    expect(await reason(dave.client.media.get(doc.id))).toBe('PERMISSION_DENIED');
    expect(await reason(dave.client.media.downloadUrl(imgs[0]!.id, inChat))).toBe('NOT_FOUND');
    // Nor can he forward what he cannot see: the forward names its source, which he does not see.
    const daveFriend = await befriend(dave.client, carol.me.id, carol.client);
    expect(await reason(dave.client.messages.forward(messages[0]!, daveFriend))).toBe('PERMISSION_DENIED');
    // A recall cannot be forwarded.
    expect(await reason(bob.client.messages.forward({ ...messages[0]!, recalled: true }, bc))).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('waits for a video to be transcoded, then sends it; its poster and ranges are served', async () => {
    const alice = await user('Vid');
    const bob = await user('Viewer');
    const conv = await befriend(alice.client, bob.me.id, bob.client);
    const raw = await mpeg4Mp4(2);
    const up = await alice.client.media.upload(raw, { name: 'clip.mp4', kind: 'video' });
    expect(up.status).toBe('processing');
    const ready = await alice.client.media.whenReady(up.id, { intervalMs: 100 });
    expect(ready).toMatchObject({ status: 'ready', mime: 'video/mp4', hasPoster: true });
    expect(ready.durationMs).toBeGreaterThan(1500);
    const sent = await alice.client.messages.sendVideo(conv, ready);
    expect(sent.content).toMatchObject({ type: 'video', video: { mediaId: up.id } });
    const { url } = await bob.client.media.downloadUrl(up.id, sent);
    const part = await fetch(url, { headers: { range: 'bytes=0-99' } });
    expect(part.status).toBe(206);
    expect((await part.arrayBuffer()).byteLength).toBe(100);
    expect((await download(bob.client, up.id, 'poster', sent)).length).toBeGreaterThan(0);
    expect(await reason(alice.client.media.whenReady('123456789', { intervalMs: 100 }))).toBe('NOT_FOUND');
  });
});
