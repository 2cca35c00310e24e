import { search } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
import {
  befriend,
  CONTACTS_SETUPS,
  newUser,
  sendText,
  startContactsEnv,
  type ContactsEnv,
  type TestUser,
} from '../../../test/helpers/contacts-helpers.js';

/**
 * Delete for me, clear history and drafts through a real server (SQLite; the store's part is
 * proved on every engine in store/record-state-store.conformance.test.ts): the caller's own
 * view changes on all their devices (Sync), nobody else's does, and search follows.
 */
async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('message: delete for me, clear history, drafts', () => {
  let env: ContactsEnv;
  let a: TestUser, b: TestUser, stranger: TestUser;
  let direct: string;
  const m = () => env.messages;
  const send = async (u: TestUser, t: string) => (await sendText(env, u, direct, t)).message!;
  const history = async (u: TestUser) => (await m().getHistory({ conversationId: direct }, u.h)).messages;
  const conv = async (u: TestUser) =>
    (await m().getConversation({ conversationId: direct }, u.h)).conversation!;
  const find = (u: TestUser, query: string) =>
    env.server.client(search.SearchService).searchMessages({ query }, u.h);

  beforeAll(async () => {
    env = await startContactsEnv(CONTACTS_SETUPS[0]!, {
      search: { pollIntervalMs: 20 },
      message: { sendBurst: 1000, sendRatePerSecond: 1000 },
    });
    [a, b, stranger] = [await newUser(env, 'A'), await newUser(env, 'B'), await newUser(env, 'S')];
    direct = await befriend(env.api, a, b);
  });
  afterAll(() => env?.stop());

  it('deletes for me only: my history keeps the place without content, theirs is unchanged', async () => {
    const one = await send(a, 'alpha hidden word');
    const two = await send(b, 'bravo stays');
    const before = (await m().sync({ sincePts: 0 }, a.h)).pts;
    const view = (await m().hideMessages({ conversationId: direct, seqs: [one.seq, one.seq] }, a.h))
      .conversation!;
    expect(view.hiddenSeqs).toContain(one.seq);
    // A retry changes nothing.
    await m().hideMessages({ conversationId: direct, seqs: [one.seq] }, a.h);
    const mine = await history(a);
    const hidden = mine.find((x) => x.seq === one.seq)!;
    expect(hidden.hidden).toBe(true);
    expect(hidden.content?.body.case).toBeUndefined();
    expect(mine.find((x) => x.seq === two.seq)!.hidden).toBe(false);
    const theirs = await history(b);
    expect(theirs.find((x) => x.seq === one.seq)!.hidden).toBe(false);
    expect((await conv(b)).hiddenSeqs).toEqual([]);
    // My other device learns it from Sync (the conversation changed for me since its pts).
    const synced = await m().sync({ sincePts: before }, a.h);
    expect(synced.conversations.find((c) => c.id === direct)?.hiddenSeqs).toContain(one.seq);

    // Search: I no longer find it, they still do.
    await eventually(
      () => find(b, 'alpha'),
      (r) => r.hits.length === 1,
    );
    expect((await find(a, 'alpha')).hits).toEqual([]);
    expect((await find(a, 'bravo')).hits.length).toBe(1);

    // Bad input and attackers: a seq I cannot read, too many, someone else's conversation.
    await expectReason(m().hideMessages({ conversationId: direct, seqs: [9999] }, a.h), 'NOT_FOUND');
    await expectReason(m().hideMessages({ conversationId: direct, seqs: [] }, a.h), 'INVALID_ARGUMENT');
    await expectReason(
      m().hideMessages({ conversationId: direct, seqs: Array.from({ length: 101 }, (_, i) => i + 1) }, a.h),
      'FORWARD_TOO_MANY',
    );
    await expectReason(
      m().hideMessages({ conversationId: direct, seqs: [two.seq] }, stranger.h),
      'NOT_FOUND',
    );
    expect((await conv(b)).hiddenSeqs).toEqual([]);
  });

  it('clears my history only: nothing before the clear for me, new messages after it', async () => {
    await send(a, 'charlie before clear');
    const last = await send(b, 'delta before clear');
    const view = (await m().clearHistory({ conversationId: direct }, a.h)).conversation!;
    expect(view.clearedSeq).toBe(last.seq);
    expect(view.hiddenSeqs).toEqual([]);
    expect(view.unreadCount).toBe(0);
    expect(view.lastMessage).toBeUndefined();
    expect(await history(a)).toEqual([]);
    expect((await history(b)).length).toBeGreaterThan(2);
    expect((await conv(b)).clearedSeq).toBe(0);
    const after = await send(b, 'echo after clear');
    expect((await history(a)).map((x) => x.seq)).toEqual([after.seq]);
    expect(
      (await m().getHistory({ conversationId: direct, afterSeq: 0 }, a.h)).messages.map((x) => x.seq),
    ).toEqual([after.seq]);
    expect((await conv(a)).lastMessage?.seq).toBe(after.seq);
    await eventually(
      () => find(a, 'echo'),
      (r) => r.hits.length === 1,
    );
    expect((await find(a, 'charlie')).hits).toEqual([]);
    expect((await find(b, 'charlie')).hits.length).toBe(1);
    // What was cleared cannot be forwarded or hidden any more by me.
    await expectReason(m().hideMessages({ conversationId: direct, seqs: [last.seq] }, a.h), 'NOT_FOUND');
    await expectReason(
      m().forwardMessages(
        { conversationId: direct, clientMsgId: 'cleared1', sourceConversationId: direct, seqs: [last.seq] },
        a.h,
      ),
      'PERMISSION_DENIED',
    );
    await expectReason(m().clearHistory({ conversationId: direct }, stranger.h), 'NOT_FOUND');
  });

  it('keeps one draft per person and conversation: last writer wins, empty deletes', async () => {
    const t0 = Date.now() - 10_000;
    const put = (u: TestUser, text: string, updatedAtMs = 0) =>
      m().setDraft({ conversationId: direct, text, updatedAtMs }, u.h);
    const before = (await m().sync({ sincePts: 0 }, a.h)).pts;
    expect((await put(a, '写了一半', t0)).conversation!.draft?.text).toBe('写了一半');
    // An older write from another device loses; the stored draft stays.
    expect((await put(a, 'stale', t0 - 5_000)).conversation!.draft?.text).toBe('写了一半');
    const synced = await m().sync({ sincePts: before }, a.h);
    expect(synced.conversations.find((c) => c.id === direct)?.draft?.text).toBe('写了一半');
    expect((await conv(b)).draft).toBeUndefined();
    // A time in the future counts as now, so it cannot pin a draft against later writes.
    await put(a, 'future', Date.now() + 3_600_000);
    expect((await put(a, 'later')).conversation!.draft?.text).toBe('later');
    expect((await put(a, '')).conversation!.draft).toBeUndefined();

    await expectReason(put(a, 'x'.repeat(8 * 1024 + 1)), 'DRAFT_TOO_LONG');
    await expectReason(put(a, 'x', -1), 'INVALID_ARGUMENT');
    await expectReason(put(a, 'a\u0000b'), 'INVALID_ARGUMENT');
    await expectReason(put(stranger, 'sneaky'), 'NOT_FOUND');
  });
});
