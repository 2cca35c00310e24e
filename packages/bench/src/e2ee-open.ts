/**
 * Opening an encrypted chat of `messages` messages against a plain chat of as many (issue 28):
 * on a local all-in-one server, one person sends them all through the SDK; then, on a fresh
 * client each time, the time to fetch the newest page of 50 and to show it. For the encrypted
 * chat, each message opened on the device, in three ways:
 * - `v1`: as before (every message unwrapped, both X25519 each, the 50 at once);
 * - `firstOpen`: this device never opened the chat (no opened body kept): the static agreement
 *   once per device pair, the key fetch started with the page, the newest screenful (20) first;
 * - `reopen`: the bodies this device opened before are kept (encrypted under a local key, in
 *   blocks of 64 seqs), as the web app keeps them in IndexedDB: no unwrapping, the page's kept
 *   bodies read together (`openAll`: one store read, one decrypt per block) and, since round 6,
 *   read while the page is fetched (`E2ee.history`); the peer's keys fetched after the page.
 * `screen` is the time until the newest 20 are shown, `page` until all 50 are. `encryptedFetchOnly`
 * is the encrypted page fetched and not opened (sealed messages are larger than plain ones; since
 * GetHistoryRequest.e2ee_device_id, with this device's wrapped keys only); `encryptedFetchKept`
 * the same page asked for as a device that keeps all of it (GetHistoryRequest.e2ee_kept: the
 * sealed bytes left out), not opened.
 * `node packages/bench/dist/e2ee-open.js [messages] [runs]`.
 */
import { pathToFileURL } from 'node:url';
import { isElided, MyChatClient, type ChatMessage } from '@mychat/sdk';
import { E2ee, MemoryKeyStore, type E2eeOptions } from '@mychat/sdk/e2ee';
import { codeFromOutbox, startLocalServer, type LocalServer } from './local-server.js';
import { summarize, type LatencySummary } from './stats.js';

const PASSWORD = 'bench-password-1';

async function person(server: LocalServer, name: string, store = new MemoryKeyStore()) {
  const email = `${name}-${Date.now()}@bench.test`;
  const c = new MyChatClient({ baseUrl: server.url, device: { clientType: 'pc', deviceId: name, name } });
  await c.auth.sendCode({ email }, 'register');
  await c.auth.register({
    to: { email },
    code: await codeFromOutbox(server.dataDir, email),
    password: PASSWORD,
    nickname: name,
  });
  await c.connect();
  return { email, c, store, e2ee: new E2ee(c, { store }) };
}

/**
 * A new client of an existing account (its device keys in `store`): each open starts anew. The
 * device's keys are loaded before the open, as the web app's `status()` check does before it
 * opens a chat (the SDK then asks for pages with this device's wrapped keys only).
 */
async function fresh(server: LocalServer, email: string, options: E2eeOptions) {
  const c = new MyChatClient({
    baseUrl: server.url,
    device: { clientType: 'pc', deviceId: 'reader', name: 'reader' },
  });
  await c.auth.login({ to: { email }, password: PASSWORD });
  const e2ee = new E2ee(c, options);
  await e2ee.deviceId();
  return { c, e2ee };
}

const SCREEN = 20;

/**
 * Opens the newest page of an encrypted chat as the web app does: the newest screenful opened
 * first, then the rest. The peer's keys are asked for alongside the page, unless the chat's
 * newest message (`lastSeq`) is kept here (the local index says so before the page is asked
 * for): then the page reopens from kept bodies and the keys are fetched after it, as the web
 * app's `open` does. Times in ms.
 */
async function openPage(s: { c: MyChatClient; e2ee: E2ee }, chatId: string, peerId: string, lastSeq: number) {
  const t = performance.now();
  const warm = await s.e2ee.hasKept({ conversationId: chatId, seq: lastSeq });
  // Opens that need the keys share this one fetch.
  const trust = warm ? undefined : s.e2ee.trust(peerId);
  // Kept bodies' blocks read while the page is fetched (E2ee.history).
  const page = await s.e2ee.history({ id: chatId, lastSeq }, { limit: 50 });
  const newest = page.messages.slice(-SCREEN);
  // As the web app's e2ee.store.ts: each part opened together (kept bodies read in one go).
  const first = await s.e2ee.openAll(newest);
  const screen = performance.now() - t;
  const rest = await s.e2ee.openAll(page.messages.slice(0, -SCREEN));
  const all = performance.now() - t;
  await (trust ?? s.e2ee.trust(peerId));
  if ([...first, ...rest].filter((o) => o.ok).length !== 50)
    throw new Error('an encrypted message did not open');
  return { screen, all };
}

/** Sends `n` messages, `lanes` in flight at a time. */
async function fill(n: number, send: (i: number) => Promise<unknown>, lanes = 8) {
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < n) await send(next++);
    }),
  );
}

export async function measureOpen(opts: { messages: number; runs: number }) {
  const server = await startLocalServer({
    MYCHAT_MESSAGE_SEND_BURST: '100000',
    MYCHAT_MESSAGE_SEND_RATE_PER_SECOND: '100000',
    // Four fresh clients sign in per run (the default allows 60 logins per address in 10 min).
    MYCHAT_AUTH_LOGIN_PER_IP_PER_WINDOW: '100000',
    // Six history reads per run (the default burst of 200 allows about 30 runs).
    MYCHAT_WS_READ_BURST: '100000',
  });
  try {
    const [a, b] = [await person(server, 'ann'), await person(server, 'bob')];
    const { request } = await a.c.contacts.request((await b.c.auth.me()).id);
    const plainId = (await b.c.contacts.respond(request.id, 'accept')).conversationId!;
    await a.e2ee.setup();
    await b.e2ee.setup();
    const chat = await a.e2ee.openChat((await b.c.auth.me()).id);
    const text = (i: number) => `message ${i} `.padEnd(80, 'x');
    let t = performance.now();
    await fill(opts.messages, (i) => a.c.messages.sendText(plainId, text(i)));
    const plainFill = performance.now() - t;
    t = performance.now();
    let lastSeq = 0;
    await fill(opts.messages, async (i) => {
      lastSeq = Math.max(lastSeq, (await a.e2ee.sendText(chat, text(i))).seq);
    });
    const sealedFill = performance.now() - t;

    // fetchOnly: the encrypted page fetched and not opened (its messages are larger than plain ones).
    const times = {
      plain: [] as number[],
      fetchOnly: [] as number[],
      fetchKept: [] as number[],
      v1: [] as number[],
    };
    const split = () => ({ screen: [] as number[], page: [] as number[] });
    const [firstOpen, reopen] = [split(), split()];
    const annId = (await a.c.auth.me()).id;
    // The device's kept bodies: filled by one open before the measured reopens.
    const kept = new MemoryKeyStore();
    const warm = await fresh(server, b.email, { store: b.store, openedStore: kept });
    await openPage(warm, chat.id, annId, lastSeq);
    await warm.e2ee.settled();
    await warm.c.close();
    for (let r = 0; r < opts.runs; r++) {
      const p = await fresh(server, b.email, { store: b.store });
      t = performance.now();
      const page = await p.c.messages.history(plainId, { limit: 50 });
      times.plain.push(performance.now() - t);
      if (page.messages.length !== 50) throw new Error('the plain page is short');
      await p.c.close();

      const q = await fresh(server, b.email, { store: b.store });
      t = performance.now();
      const fetched = await q.c.messages.history(chat.id, { limit: 50 });
      times.fetchOnly.push(performance.now() - t);
      if (fetched.messages.length !== 50) throw new Error('the encrypted page is short');
      await q.c.close();

      // The same page when this device keeps it all: its sealed bytes left out (e2eeKept).
      const k = await fresh(server, b.email, { store: b.store });
      t = performance.now();
      const e2eeKept = { fromSeq: lastSeq - 49, toSeq: lastSeq };
      const left = await k.c.messages.history(chat.id, { limit: 50, e2eeKept });
      times.fetchKept.push(performance.now() - t);
      if (left.messages.filter(isElided).length !== 50) throw new Error('the kept page came whole');
      await k.c.close();

      const s = await fresh(server, b.email, { store: b.store, openedStore: false, cacheSecrets: false });
      t = performance.now();
      const sp = await s.c.messages.history(chat.id, { limit: 50 });
      const opened = await Promise.all(sp.messages.map((m: ChatMessage) => s.e2ee.open(m)));
      times.v1.push(performance.now() - t);
      if (opened.filter((o) => o.ok).length !== 50) throw new Error('an encrypted message did not open');
      await s.c.close();

      for (const [into, openedStore] of [
        [firstOpen, new MemoryKeyStore()],
        [reopen, kept],
      ] as const) {
        const f = await fresh(server, b.email, { store: b.store, openedStore });
        const o = await openPage(f, chat.id, annId, lastSeq);
        await f.e2ee.settled();
        into.screen.push(o.screen);
        into.page.push(o.all);
        await f.c.close();
      }
    }
    await a.c.close();
    await b.c.close();
    return {
      fillSeconds: { plain: Math.round(plainFill) / 1000, encrypted: Math.round(sealedFill) / 1000 },
      plain: summarize(times.plain) as LatencySummary,
      encryptedFetchOnly: summarize(times.fetchOnly),
      encryptedFetchKept: summarize(times.fetchKept),
      encryptedV1: summarize(times.v1) as LatencySummary,
      firstOpen: { screen: summarize(firstOpen.screen), page: summarize(firstOpen.page) },
      reopen: { screen: summarize(reopen.screen), page: summarize(reopen.page) },
    };
  } finally {
    await server.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await measureOpen({
    messages: Number(process.argv[2] ?? 10_000),
    runs: Number(process.argv[3] ?? 20),
  });
  process.stdout.write(`${JSON.stringify(r)}\n`);
}
