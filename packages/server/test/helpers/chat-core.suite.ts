import { MyChatClient, type ChatMessage, type ClientType, type SendStateEvent } from '@mychat/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { PASSWORD, uniqueEmail } from './auth-helpers.js';

/** Where the chat core runs: one process, or (later) a cluster on loopback. */
export interface ChatTarget {
  baseUrl: string;
  /** The newest verification code sent to an address (from the outbox). */
  codeFor(email: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The chat core's system suite: everything a person does with MyChat, through the SDK,
 * against a running target. Written once; run on every backend and topology.
 */
export function chatCoreSuite(name: string, start: () => Promise<ChatTarget>): void {
  describe(`chat core on ${name}`, () => {
    let target: ChatTarget;
    const clients: MyChatClient[] = [];

    beforeAll(async () => {
      target = await start();
    }, 120_000);
    afterAll(async () => {
      for (const c of clients) await c.close();
      await target?.stop();
    });

    async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000) {
      const end = Date.now() + ms;
      while (!(await cond())) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    }

    /** A device of a person: an SDK client that records what it sees. */
    async function device(email: string, clientType: ClientType, deviceId: string) {
      const client = new MyChatClient({
        baseUrl: target.baseUrl,
        device: { clientType, deviceId, name: `${clientType} test device` },
        WebSocket: WebSocket as never,
      });
      clients.push(client);
      const me = await client.auth.login({ to: { email }, password: PASSWORD });
      const messages: ChatMessage[] = [];
      const sendStates: SendStateEvent[] = [];
      const kicked: string[] = [];
      client.on('message', (m) => messages.push(m));
      client.on('sendState', (e) => sendStates.push(e));
      client.on('kicked', (r) => kicked.push(r));
      // What people wrote (not the "You are now friends" line that opens a 1:1 chat).
      const texts = (conv: string) =>
        messages
          .filter((m) => m.conversationId === conv && m.content.type !== 'system')
          .map((m) => (m.content.type === 'text' ? m.content.text : `<${m.content.type}>`));
      const seqs = (conv: string) => messages.filter((m) => m.conversationId === conv).map((m) => m.seq);
      return { client, me, messages, sendStates, kicked, texts, seqs };
    }

    /** Signs a person up through the SDK with a code from the outbox; returns their first device. */
    async function person(nickname: string, clientType: ClientType = 'pc') {
      const email = uniqueEmail(nickname.toLowerCase());
      const signup = new MyChatClient({
        baseUrl: target.baseUrl,
        device: { clientType: 'bot', deviceId: 'signup', name: 'signup' },
      });
      await signup.auth.sendCode({ email }, 'register');
      await signup.auth.register({
        to: { email },
        code: await target.codeFor(email),
        password: PASSWORD,
        nickname,
      });
      await signup.auth.logout();
      return { email, ...(await device(email, clientType, `${nickname}-${clientType}`)) };
    }

    type Person = Awaited<ReturnType<typeof person>>;

    async function befriend(a: Person, b: Person): Promise<string> {
      const { request } = await a.client.contacts.request(b.me.id, `hi, I am ${a.me.nickname}`);
      const { conversationId } = await b.client.contacts.respond(request.id, 'accept');
      return conversationId!;
    }

    it('two friends chat both ways; sends go sent, delivered, read; receipts reach the sender', async () => {
      const [alice, bob] = [await person('Alice'), await person('Bob')];
      const conv = await befriend(alice, bob);
      await Promise.all([alice.client.connect(), bob.client.connect()]);
      const m1 = await alice.client.messages.sendText(conv, 'hello Bob');
      expect(m1.seq).toBe(2); // 1 is "You are now friends"
      await until(() => bob.texts(conv).includes('hello Bob'), 'Bob to receive');
      await until(
        () => alice.sendStates.some((s) => s.clientMsgId === m1.clientMsgId && s.state === 'delivered'),
        'delivered',
      );
      await bob.client.messages.markRead(conv, m1.seq);
      await until(
        () => alice.sendStates.some((s) => s.clientMsgId === m1.clientMsgId && s.state === 'read'),
        'read',
      );
      const m2 = await bob.client.messages.sendText(conv, 'hi Alice');
      expect(m2.seq).toBe(3);
      await until(() => alice.texts(conv).includes('hi Alice'), 'Alice to receive');
      expect(alice.seqs(conv)).toEqual([1, 2, 3]);
      expect(bob.seqs(conv)).toEqual([1, 2, 3]);
    });

    it('a group of three: everyone gets every message once, in order', async () => {
      const [o, p, q] = [await person('Olga'), await person('Pavel'), await person('Quinn')];
      await befriend(o, p);
      await befriend(o, q);
      const group = await o.client.groups.create('Trio', [p.me.id, q.me.id]);
      await Promise.all([o, p, q].map((x) => x.client.connect()));
      await o.client.messages.sendText(group.id, 'welcome');
      await p.client.messages.sendText(group.id, 'thanks');
      await q.client.messages.sendText(group.id, '@all hi', { mentionAll: false });
      for (const x of [o, p, q]) {
        await until(
          () => ['welcome', 'thanks', '@all hi'].every((t) => x.texts(group.id).includes(t)),
          `${x.me.nickname} to see all`,
        );
        const seqs = x.seqs(group.id);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        expect(new Set(seqs).size).toBe(seqs.length);
      }
    });

    it('two devices of one person both see every message, their own included', async () => {
      const alice = await person('Alice', 'pc');
      const bobPerson = await person('Bob', 'pc');
      const conv = await befriend(alice, bobPerson);
      const alicePhone = await device(alice.email, 'ios', 'alice-phone');
      await Promise.all([alice.client.connect(), alicePhone.client.connect(), bobPerson.client.connect()]);
      await alice.client.messages.sendText(conv, 'from the desktop');
      await bobPerson.client.messages.sendText(conv, 'to both your devices');
      await until(
        () => alicePhone.texts(conv).length === 2 && alice.texts(conv).length === 2,
        'both devices',
      );
      expect(alicePhone.texts(conv)).toEqual(['from the desktop', 'to both your devices']);
      expect(alice.texts(conv)).toEqual(['from the desktop', 'to both your devices']);
    });

    it('a person offline during 500 messages gets all 500 on reconnect, in order, exactly once', async () => {
      const [alice, bob] = [await person('Alice'), await person('Bob')];
      const conv = await befriend(alice, bob);
      await alice.client.connect();
      await bob.client.connect();
      await bob.client.close();
      const sends: Promise<ChatMessage>[] = [];
      for (let i = 1; i <= 500; i++) sends.push(alice.client.messages.sendText(conv, `m${i}`));
      const sent = await Promise.all(sends);
      expect(sent.map((m) => m.seq).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 500 }, (_, i) => i + 2),
      );
      const before = bob.messages.length;
      await bob.client.connect();
      await until(() => bob.texts(conv).length === 500, 'Bob to catch up', 30_000);
      const got = bob.messages.slice(before).filter((m) => m.conversationId === conv);
      expect(got.map((m) => m.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 2));
      expect(new Set(bob.texts(conv)).size).toBe(500);
    }, 60_000);

    it('a recall reaches everyone, typing and presence arrive', async () => {
      const [alice, bob] = [await person('Alice'), await person('Bob')];
      const conv = await befriend(alice, bob);
      const presence: { userId: string; online: boolean }[] = [];
      const typing: string[] = [];
      alice.client.on('presence', (p) => presence.push(p));
      bob.client.on('typing', (t) => typing.push(t.userId));
      await alice.client.connect();
      await bob.client.connect();
      await until(() => presence.some((p) => p.userId === bob.me.id && p.online), 'Bob online for Alice');
      await alice.client.messages.typing(conv);
      await until(() => typing.includes(alice.me.id), 'typing');
      const m = await alice.client.messages.sendText(conv, 'oops, wrong chat');
      await until(() => bob.texts(conv).includes('oops, wrong chat'), 'message');
      await alice.client.messages.recall(conv, m.seq);
      await until(
        async () =>
          (await bob.client.messages.history(conv)).messages.some((x) => x.seq === m.seq && x.recalled),
        'recall at Bob',
      );
      await bob.client.close();
      await until(
        () => presence.some((p) => p.userId === bob.me.id && !p.online),
        'Bob offline for Alice',
        15_000,
      );
    }, 30_000);

    it('a second web login kicks the first', async () => {
      const alice = await person('Alice', 'web');
      await alice.client.connect();
      const second = await device(alice.email, 'web', 'alice-other-browser');
      await second.client.connect();
      await until(() => alice.kicked.length > 0, 'the first web session to be kicked');
      expect(alice.client.state).toBe('stopped');
      expect(second.client.state).toBe('live');
    });
  });
}
