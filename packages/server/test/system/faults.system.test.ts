import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MyChatClient, type ChatMessage } from '@mychat/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { PASSWORD, uniqueEmail } from '../helpers/auth-helpers.js';
import { ChildServer, freePort } from '../helpers/child-server.js';
import { extractCode, latestMailTo } from '../helpers/outbox.js';

/**
 * Crash safety: the server is SIGKILLed in the middle of a conversation and started again
 * on the same data. Every message that was acknowledged is there afterwards, none twice,
 * and the seqs have no gap.
 */
describe('faults: the server is killed mid-conversation', () => {
  let dataDir: string;
  let server: ChildServer;
  const clients: MyChatClient[] = [];

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-crash-'));
    server = new ChildServer({
      MYCHAT_DATA_DIR: dataDir,
      MYCHAT_HTTP_PORT: String(await freePort()),
      MYCHAT_RPC_PORT: String(await freePort()),
      MYCHAT_LOG_LEVEL: 'warn',
      MYCHAT_MESSAGE_SEND_BURST: '10000',
      MYCHAT_MESSAGE_SEND_RATE_PER_SECOND: '10000',
    });
    await server.start();
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) await c.close();
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function person(nickname: string) {
    const email = uniqueEmail(nickname);
    const client = new MyChatClient({
      baseUrl: server.url,
      device: { clientType: 'pc', deviceId: nickname, name: nickname },
      WebSocket: WebSocket as never,
      reconnect: { baseMs: 100, capMs: 500 },
    });
    clients.push(client);
    await client.auth.sendCode({ email }, 'register');
    let code = '';
    for (let i = 0; i < 100 && !code; i++) {
      const mail = await latestMailTo(path.join(dataDir, 'outbox'), email);
      if (mail) code = extractCode(mail.text);
      else await new Promise((r) => setTimeout(r, 20));
    }
    const me = await client.auth.register({ to: { email }, code, password: PASSWORD, nickname });
    return { client, me, email };
  }

  it('keeps every acknowledged message exactly once across a SIGKILL and restart', async () => {
    const alice = await person('alice');
    const bob = await person('bob');
    const { request } = await alice.client.contacts.request(bob.me.id);
    const { conversationId: conv } = await bob.client.contacts.respond(request.id, 'accept');
    const received: ChatMessage[] = [];
    bob.client.on('message', (m) => m.conversationId === conv && received.push(m));
    await alice.client.connect();
    await bob.client.connect();

    const total = 300;
    const acked: ChatMessage[] = [];
    const sends = Array.from({ length: total }, (_, i) =>
      alice.client.messages.sendText(conv!, `msg ${i}`).then((m) => {
        acked.push(m);
        return m;
      }),
    );
    // Kill the server while sends are in flight, then bring it back on the same data.
    while (acked.length < 50) await new Promise((r) => setTimeout(r, 5));
    await server.kill();
    const ackedBeforeCrash = acked.length;
    await server.start();

    const all = await Promise.all(sends);
    expect(ackedBeforeCrash).toBeLessThan(total);
    const seqs = all.map((m) => m.seq).sort((a, b) => a - b);
    // Seq 1 is the "You are now friends" line that opened the chat.
    const gapless = Array.from({ length: total + 1 }, (_, i) => i + 1);
    expect(seqs).toEqual(gapless.slice(1));

    // A fresh device reads the stored history: every message once, seqs without a gap.
    const fresh = new MyChatClient({
      baseUrl: server.url,
      device: { clientType: 'web', deviceId: 'fresh', name: 'fresh' },
      WebSocket: WebSocket as never,
    });
    clients.push(fresh);
    await fresh.auth.login({ to: { email: bob.email }, password: PASSWORD });
    const stored: ChatMessage[] = [];
    let before = 0;
    for (;;) {
      const page = await fresh.messages.history(conv!, { beforeSeq: before || undefined, limit: 200 });
      stored.unshift(...page.messages);
      if (!page.hasMore || page.messages.length === 0) break;
      before = page.messages[0]!.seq;
    }
    expect(stored.map((m) => m.seq)).toEqual(gapless);
    const texts = stored.flatMap((m) => (m.content.type === 'text' ? [m.content.text] : []));
    expect(new Set(texts).size).toBe(total);
    for (const m of acked) expect(stored.find((s) => s.seq === m.seq)?.id).toBe(m.id);

    // Bob's live client catches up to the same, exactly once and in order.
    const end = Date.now() + 20_000;
    while (received.length < total + 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(received.map((m) => m.seq)).toEqual(gapless);
  }, 90_000);
});
