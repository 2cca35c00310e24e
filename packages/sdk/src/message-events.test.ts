import { describe, expect, it } from 'vitest';
import { MemoryChatStore } from './chat-store.js';
import { applyEvents, applyPins, isSilent } from './message-events.js';
import type { ChatMessage, Conversation, MessageContent } from './types.js';

const msg = (seq: number, content: MessageContent, senderId = 'u1'): ChatMessage => ({
  conversationId: 'c1',
  seq,
  id: `${seq}`,
  senderId,
  clientMsgId: `m${seq}`,
  content,
  replyToSeq: 0,
  mentionUserIds: [],
  mentionAll: false,
  createdAt: 1000 + seq,
  recalled: false,
});

describe('applying reactions, edits, recalls and pins', () => {
  it('sets the counts a reaction carries, with mine from the user’s own, and twice changes nothing', async () => {
    const store = new MemoryChatStore();
    await store.putMessages('c1', [msg(1, { type: 'text', text: 'hi' })], 1);
    const like = (seq: number, by: string, remove = false, count = 1) =>
      msg(
        seq,
        {
          type: 'reaction',
          seq: 1,
          emoji: '👍',
          remove,
          counts: count ? [{ emoji: '👍', count, mine: false }] : [],
        },
        by,
      );
    const first = like(2, 'me');
    const [t] = await applyEvents(store, 'c1', [first], 'me');
    expect(t!.reactions).toEqual([{ emoji: '👍', count: 1, mine: true }]);
    await store.putMessages('c1', [t!]);
    const [again] = await applyEvents(store, 'c1', [first], 'me');
    expect(again!.reactions).toEqual([{ emoji: '👍', count: 1, mine: true }]);
    await store.putMessages('c1', [again!]);
    // Someone else's reaction keeps mine; the user's removal clears it.
    const [other] = await applyEvents(store, 'c1', [like(3, 'u2', false, 2)], 'me');
    expect(other!.reactions).toEqual([{ emoji: '👍', count: 2, mine: true }]);
    await store.putMessages('c1', [other!]);
    const [gone] = await applyEvents(store, 'c1', [like(4, 'me', true, 1)], 'me');
    expect(gone!.reactions).toEqual([{ emoji: '👍', count: 1, mine: false }]);
    expect(isSilent(first)).toBe(true);
  });

  it('edits texts only, and a recall clears reactions and the edit mark; events in the same batch apply too', async () => {
    const store = new MemoryChatStore();
    const text = msg(1, { type: 'text', text: 'helo' });
    const edit = msg(2, { type: 'edit', seq: 1, text: 'hello' });
    expect(await applyEvents(store, 'c1', [text, edit], 'me')).toEqual([]); // the target is in the batch
    expect(text.content).toEqual({ type: 'text', text: 'hello' });
    expect(text.editedAt).toBe(edit.createdAt);
    await store.putMessages('c1', [text]);
    const [recalled] = await applyEvents(
      store,
      'c1',
      [msg(3, { type: 'recall', seq: 1, byUserId: 'u1' })],
      'me',
    );
    expect(recalled).toMatchObject({ recalled: true, content: { type: 'empty' } });
    expect(recalled!.editedAt).toBeUndefined();
    await store.putMessages('c1', [recalled!]);
    expect(await applyEvents(store, 'c1', [msg(4, { type: 'edit', seq: 1, text: 'back' })], 'me')).toEqual(
      [],
    );
  });

  it('leaves a message alone when its edit event comes without the text (the reader may not read it)', async () => {
    const store = new MemoryChatStore();
    await store.putMessages('c1', [msg(1, { type: 'text', text: 'kept here from before' })], 1);
    expect(await applyEvents(store, 'c1', [msg(2, { type: 'edit', seq: 1, text: '' })], 'me')).toEqual([]);
    expect((await store.getMessage('c1', 1))!.content).toEqual({
      type: 'text',
      text: 'kept here from before',
    });
  });

  it('puts a link preview on its message once, never on a hidden or recalled one; a recall takes it off', async () => {
    const store = new MemoryChatStore();
    const preview = {
      url: 'https://example.test/',
      title: 'Lake',
      description: '',
      siteName: 'example.test',
    };
    const event = (seq: number, target: number, p = preview) =>
      msg(seq, { type: 'linkPreview', seq: target, preview: p }, 'u1');
    await store.putMessages(
      'c1',
      [msg(1, { type: 'text', text: 'see' }), { ...msg(2, { type: 'text', text: 'x' }), hidden: true }],
      2,
    );
    const [t] = await applyEvents(store, 'c1', [event(3, 1)], 'me');
    expect(t!.linkPreview).toEqual(preview);
    expect(isSilent(event(3, 1))).toBe(true);
    await store.putMessages('c1', [t!], 3);
    // Applied again (or a second one): the first stays.
    const other = { ...preview, title: 'Other' };
    expect(await applyEvents(store, 'c1', [event(3, 1), event(4, 1, other)], 'me')).toEqual([]);
    expect((await store.getMessage('c1', 1))!.linkPreview).toEqual(preview);
    // A hidden message stays bare; an event without a preview (not for this reader) does nothing.
    expect(await applyEvents(store, 'c1', [event(5, 2)], 'me')).toEqual([]);
    const bare = msg(6, { type: 'text', text: 'y' });
    expect(await applyEvents(store, 'c1', [bare, msg(7, { type: 'linkPreview', seq: 6 })], 'me')).toEqual([]);
    expect(bare.linkPreview).toBeUndefined();
    // In one batch with its text, then recalled: nothing of it is left.
    const text = msg(8, { type: 'text', text: 'z' });
    await applyEvents(
      store,
      'c1',
      [text, event(9, 8), msg(10, { type: 'recall', seq: 8, byUserId: 'u1' })],
      'me',
    );
    expect(text).toMatchObject({ recalled: true, content: { type: 'empty' } });
    expect(text.linkPreview).toBeUndefined();
  });

  it('moves the pinned bar: newest pin first, unpins and recalls take a seq off', () => {
    const conv = { pinnedSeqs: [5] } as Conversation;
    applyPins(conv, [
      msg(7, { type: 'pin', seq: 3, unpin: false }),
      msg(8, { type: 'pin', seq: 5, unpin: false }),
    ]);
    expect(conv.pinnedSeqs).toEqual([5, 3]);
    applyPins(conv, [
      msg(9, { type: 'pin', seq: 3, unpin: true }),
      msg(10, { type: 'recall', seq: 5, byUserId: 'u' }),
    ]);
    expect(conv.pinnedSeqs).toEqual([]);
  });
});
