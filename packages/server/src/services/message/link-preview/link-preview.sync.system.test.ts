import { message as pb } from '@mychat/protocol';
import { MemoryChatStore, MyChatClient, type ChatMessage } from '@mychat/sdk';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../../../adapters/bus/bus.js';
import type { SqlDatabase } from '../../../adapters/sql/sql.js';
import { systemClock } from '../../../kernel/clock.js';
import { createIdGenerator } from '../../../kernel/ids.js';
import { expectReason, PASSWORD } from '../../../../test/helpers/auth-helpers.js';
import {
  befriend,
  CONTACTS_SETUPS,
  newUser,
  sendText,
  setupAvailable,
  startContactsEnv,
  type ContactsEnv,
  type TestUser,
} from '../../../../test/helpers/contacts-helpers.js';
import { eventually } from '../../../../test/helpers/eventually.js';
import { html, startPageServer, type PageServer } from '../../../../test/helpers/page-server.js';
import { createMessageStore } from '../store/create-message-store.js';
import { appendPreviewEvent, type PreviewEventDeps } from './link-preview.event.js';

/**
 * A link preview is a silent LINK_PREVIEW message in the conversation (issue 24's rule: every
 * change to a conversation is a seq'd message), so a device that was away while the server
 * made it gets it by Sync like any other message: no unread, no row; one per message, none
 * for a recalled one; the SDK puts it on the stored message.
 */
for (const setup of CONTACTS_SETUPS.filter((s) => !s.fakeMessage)) {
  const ok = await setupAvailable(setup);

  describe.skipIf(!ok)(`link previews by sync on ${setup.name}`, () => {
    let env: ContactsEnv;
    let pages: PageServer;
    let deps: PreviewEventDeps;
    const clients: MyChatClient[] = [];
    beforeAll(async () => {
      pages = await startPageServer();
      env = await startContactsEnv(setup, {
        linkPreview: {
          allowedPrivateAddresses: [`${pages.host}/32`],
          caFile: pages.certFile,
          timeoutMs: 2000,
        },
      });
      // The event's writer as the message service runs it, over the server's own database.
      deps = {
        store: createMessageStore(env.server.app.value<SqlDatabase>('sql')),
        bus: env.server.app.value<Bus>('bus'),
        logger: pino({ level: 'silent' }),
        clock: systemClock,
        ids: createIdGenerator(7),
      };
    });
    afterAll(async () => {
      for (const c of clients) await c.close();
      await env?.stop();
      await pages?.stop();
    });

    const at = (path: string) => `https://${pages.host}:${pages.port}${path}`;
    async function pair() {
      const ann = await newUser(env, 'Ann');
      const bob = await newUser(env, 'Bob');
      return { ann, bob, conv: await befriend(env.api, ann, bob) };
    }
    /** A page that answers once `open()` is called: the preview is made exactly then. */
    function heldPage(path: string, title: string) {
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      pages.routes.set(path, (res) => void gate.then(() => html(`<title>${title}</title>`)(res)));
      return open;
    }
    const page = (u: TestUser, conv: string, afterSeq = 0) =>
      env.messages.getHistory({ conversationId: conv, afterSeq, limit: 50 }, u.h);
    const unread = async (u: TestUser, conv: string) =>
      (await env.messages.sync({ sincePts: 0 }, u.h)).conversations.find((c) => c.id === conv)!.unreadCount;
    const previewEvents = async (u: TestUser, conv: string) =>
      (await page(u, conv)).messages.filter((m) => m.type === pb.MessageType.LINK_PREVIEW);
    const fakePreview = (url: string) => ({
      urlHash: 'f'.repeat(64),
      ok: true,
      url,
      title: 'Made by hand',
      description: '',
      siteName: 'page.test',
      expiresAt: Date.now() + 60_000,
    });

    it('brings the preview to a device that was away by Sync, as a silent event: no unread', async () => {
      const { ann, bob, conv } = await pair();
      const open = heldPage(`/held-${setup.engine}`, 'Held page');
      const sent = (await sendText(env, ann, conv, `read ${at(`/held-${setup.engine}`)}`)).message!;
      // Bob has read nothing since: one unread, the text.
      const before = await env.messages.sync({ sincePts: 0 }, bob.h);
      expect(before.heads.find((h) => h.conversationId === conv)?.lastSeq).toBe(sent.seq);
      expect(await unread(bob, conv)).toBe(1);
      open();
      const events = await eventually(
        () => previewEvents(bob, conv),
        (e) => e.length > 0,
        8000,
      );
      // Sync names the new head; the message after what Bob had is the event naming the text.
      const after = await env.messages.sync({ sincePts: before.pts }, bob.h);
      expect(after.heads.find((h) => h.conversationId === conv)?.lastSeq).toBe(sent.seq + 1);
      const [event] = (await page(bob, conv, sent.seq)).messages;
      expect(event).toMatchObject({ seq: sent.seq + 1, senderId: ann.id, type: pb.MessageType.LINK_PREVIEW });
      expect(event!.content?.body).toMatchObject({
        case: 'linkPreview',
        value: { seq: sent.seq, preview: { title: 'Held page', url: at(`/held-${setup.engine}`) } },
      });
      expect(events).toHaveLength(1);
      // Not unread for Bob, not for Ann; the list still shows the text; the page carries it too.
      expect(await unread(bob, conv)).toBe(1);
      expect(await unread(ann, conv)).toBe(0);
      const c = (await env.messages.sync({ sincePts: 0 }, bob.h)).conversations.find((x) => x.id === conv)!;
      expect(c.lastMessage?.seq).toBe(sent.seq);
      const text = (await page(bob, conv)).messages.find((m) => m.seq === sent.seq)!;
      expect(text.linkPreview?.title).toBe('Held page');
    });

    it('writes one event per message however often it is tried, and none on a recalled message', async () => {
      const { ann, bob, conv } = await pair();
      const sent = (await sendText(env, ann, conv, 'no link here')).message!;
      const target = (await deps.store.message(conv, sent.seq))!;
      const first = await appendPreviewEvent(deps, target, fakePreview(at('/x')));
      expect(first?.seq).toBe(sent.seq + 1);
      expect(await appendPreviewEvent(deps, target, fakePreview(at('/x')))).toBeUndefined();
      expect(await Promise.all([1, 2].map(() => appendPreviewEvent(deps, target, fakePreview('y'))))).toEqual(
        [undefined, undefined],
      );
      expect(await previewEvents(bob, conv)).toHaveLength(1);
      // Only the server writes them: a client's is refused.
      const forged = { case: 'linkPreview' as const, value: { seq: sent.seq, preview: { title: 'Forged' } } };
      await expectReason(
        env.messages.sendMessage(
          { conversationId: conv, clientMsgId: `forge-${sent.seq}`, content: { body: forged } },
          ann.h,
        ),
        'UNSUPPORTED_MESSAGE_TYPE',
      );
      // Recalling the message takes its preview event's content with it.
      await env.messages.recallMessage({ conversationId: conv, seq: sent.seq }, ann.h);
      const [gone] = await previewEvents(bob, conv);
      expect(gone).toMatchObject({ seq: sent.seq + 1, recalled: true });
      expect(JSON.stringify(gone!.content ?? {})).not.toContain('Made by hand');

      const later = (await sendText(env, ann, conv, 'recalled before its preview')).message!;
      const row = (await deps.store.message(conv, later.seq))!;
      await env.messages.recallMessage({ conversationId: conv, seq: later.seq }, ann.h);
      const head = (await page(bob, conv)).messages.at(-1)!.seq;
      expect(await appendPreviewEvent(deps, row, fakePreview(at('/x')))).toBeUndefined();
      expect((await page(bob, conv)).messages.at(-1)!.seq).toBe(head);
    });

    it('leaves the preview out of the event for a reader who cleared that message', async () => {
      const { ann, bob, conv } = await pair();
      const sent = (await sendText(env, ann, conv, 'cleared before its preview')).message!;
      await env.messages.clearHistory({ conversationId: conv }, bob.h);
      await appendPreviewEvent(deps, (await deps.store.message(conv, sent.seq))!, fakePreview(at('/c')));
      const [forBob] = await previewEvents(bob, conv);
      expect(forBob!.content?.body).toMatchObject({ case: 'linkPreview', value: { seq: sent.seq } });
      expect(forBob!.content?.body.value).not.toHaveProperty('preview.title');
      const [forAnn] = await previewEvents(ann, conv);
      expect(forAnn!.content?.body).toMatchObject({ value: { preview: { title: 'Made by hand' } } });
    });

    it('puts the preview on the stored message of an SDK device that was closed meanwhile', async () => {
      const { ann, bob, conv } = await pair();
      const store = new MemoryChatStore();
      const b = new MyChatClient({
        baseUrl: env.server.baseUrl,
        device: { clientType: 'web', deviceId: `lp-${setup.engine}`, name: 'vitest' },
        chatStore: store,
      });
      clients.push(b);
      await b.auth.login({ to: { email: bob.email }, password: PASSWORD });
      await b.connect();
      const path = `/sdk-${setup.engine}`;
      const open = heldPage(path, 'For the SDK');
      const seen: ChatMessage[] = [];
      b.on('message', (m) => seen.push(m));
      const sent = (await sendText(env, ann, conv, `see ${at(path)}`)).message!;
      await eventually(async () => seen.some((m) => m.seq === sent.seq), Boolean);
      await b.close();
      open();
      // (The SDK's sign-in ended Bob's test session: Ann watches for the event.)
      await eventually(
        () => previewEvents(ann, conv),
        (e) => e.length > 0,
        8000,
      );
      const updated: ChatMessage[] = [];
      b.on('messageUpdated', (m) => updated.push(m));
      await b.connect();
      await eventually(async () => updated.some((m) => m.seq === sent.seq), Boolean);
      const stored = await store.getMessage(conv, sent.seq);
      expect(stored?.linkPreview).toMatchObject({ title: 'For the SDK', url: at(path) });
      expect(updated.find((m) => m.seq === sent.seq)?.linkPreview?.title).toBe('For the SDK');
      const c = await store.getConversation(conv);
      expect(c).toMatchObject({ unreadCount: 1, lastSeq: sent.seq + 1 });
      expect(c?.lastMessage?.seq).toBe(sent.seq);
    });
  });
}
