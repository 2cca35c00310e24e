/** The in-memory ChatStore keeps and hands out copies of messages, made without a structured clone. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { copyMessage, MemoryChatStore } from './chat-store.js';
import type { ChatMessage } from './types.js';

/** An encrypted message whose byte arrays view one larger buffer (as a decoded response's do). */
function sealedMessage(seq: number): ChatMessage {
  const buffer = new Uint8Array(1000).map((_, i) => i % 251);
  return {
    conversationId: 'e',
    seq,
    id: String(seq),
    senderId: 'peer',
    clientMsgId: `c${seq}`,
    content: {
      type: 'encrypted',
      sealed: {
        version: 1,
        ciphertext: buffer.subarray(0, 100),
        nonce: buffer.subarray(100, 112),
        senderDeviceId: 'd',
        ephemeralKey: buffer.subarray(112, 144),
        keys: [{ userId: 'me', deviceId: 'x', wrapped: buffer.subarray(144, 192) }],
        files: [{ mediaId: 'f', mime: '', size: '0', width: 0, height: 0, placeholder: '' }],
      },
    },
    replyToSeq: 0,
    mentionUserIds: ['u1'],
    mentionAll: false,
    createdAt: 1_700_000_000_000,
    recalled: false,
    reactions: [{ emoji: 'x', count: 1, mine: true }],
    linkPreview: {
      url: 'https://example.test/',
      title: 't',
      description: '',
      siteName: '',
      image: new Uint8Array([1, 2]),
    },
  };
}

describe('MemoryChatStore copies', () => {
  afterEach(() => vi.restoreAllMocks());

  it('gives what a structured clone gives, each byte array with only its own bytes', () => {
    const m = sealedMessage(1);
    const copy = copyMessage(m);
    expect(copy).toEqual(structuredClone(m));
    expect(copy).toEqual(m);
    const sealed = copy.content.type === 'encrypted' ? copy.content.sealed : undefined;
    expect(sealed!.ciphertext.buffer.byteLength).toBe(100);
    expect(sealed!.keys[0]!.wrapped.buffer.byteLength).toBe(48);
  });

  it('keeps and hands out copies (no change reaches the other side), without structuredClone', async () => {
    const store = new MemoryChatStore();
    const clone = vi.spyOn(globalThis, 'structuredClone');
    const m = sealedMessage(1);
    await store.putMessages('e', [m, sealedMessage(2)]);
    // Changed after it was stored: the stored one is as it was put.
    if (m.content.type === 'encrypted') m.content.sealed.ciphertext[0] = 255;
    m.reactions![0]!.count = 9;
    const [a] = await store.getMessages('e', { limit: 1, afterSeq: 0 });
    expect(a).toEqual(sealedMessage(1));
    // Changed after it was read: the store's is not.
    a!.mentionUserIds.push('u2');
    if (a!.content.type === 'encrypted') a!.content.sealed.nonce[0] = 255;
    expect(await store.getMessage('e', 1)).toEqual(sealedMessage(1));
    expect(clone).not.toHaveBeenCalled();
  });
});
