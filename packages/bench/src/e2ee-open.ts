/**
 * Opening an encrypted chat of `messages` messages against a plain chat of as many (issue 28):
 * on a local all-in-one server, one person sends them all through the SDK; then, on a fresh
 * client each time (nothing stored yet), the time to fetch the newest page of 50 and to show it:
 * for the encrypted chat, each message opened (unwrapped and decrypted) on the device, as the web
 * app does a page at a time. `node packages/bench/dist/e2ee-open.js [messages] [runs]`.
 */
import { pathToFileURL } from 'node:url';
import { MyChatClient, type ChatMessage } from '@mychat/sdk';
import { E2ee, MemoryKeyStore } from '@mychat/sdk/e2ee';
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

/** A client of an existing account with nothing stored: each measured open starts cold. */
async function fresh(server: LocalServer, email: string, store: MemoryKeyStore) {
  const c = new MyChatClient({
    baseUrl: server.url,
    device: { clientType: 'pc', deviceId: 'reader', name: 'reader' },
  });
  await c.auth.login({ to: { email }, password: PASSWORD });
  return { c, e2ee: new E2ee(c, { store }) };
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
    await fill(opts.messages, (i) => a.e2ee.sendText(chat, text(i)));
    const sealedFill = performance.now() - t;

    const plain: number[] = [];
    const sealed: number[] = [];
    for (let r = 0; r < opts.runs; r++) {
      const p = await fresh(server, b.email, b.store);
      t = performance.now();
      const page = await p.c.messages.history(plainId, { limit: 50 });
      plain.push(performance.now() - t);
      if (page.messages.length !== 50) throw new Error('the plain page is short');
      await p.c.close();

      const s = await fresh(server, b.email, b.store);
      t = performance.now();
      const sp = await s.c.messages.history(chat.id, { limit: 50 });
      const opened = await Promise.all(sp.messages.map((m: ChatMessage) => s.e2ee.open(m)));
      sealed.push(performance.now() - t);
      if (opened.filter((o) => o.ok).length !== 50) throw new Error('an encrypted message did not open');
      await s.c.close();
    }
    await a.c.close();
    await b.c.close();
    return {
      fillSeconds: { plain: Math.round(plainFill) / 1000, encrypted: Math.round(sealedFill) / 1000 },
      plain: summarize(plain) as LatencySummary,
      encrypted: summarize(sealed) as LatencySummary,
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
