import { MyChatError, type ReadReceipts } from '@mychat/sdk';
import { defineStore } from 'pinia';
import { shallowReactive } from 'vue';
import { ReadReceiptCache } from './read-receipts.js';
import { sdkClient } from '../../sdk/current-client.js';
import { useSessionStore } from '../auth/session.store.js';

/** Answers that asking again will not change: the message or the membership is gone. */
const PERMANENT = new Set(['NOT_FOUND', 'NOT_A_MEMBER', 'PERMISSION_DENIED', 'INVALID_ARGUMENT']);
/** Focus and visibilitychange come together when a tab is brought back: one refresh for both. */
const FRONT_DEBOUNCE_MS = 1_000;

/**
 * "N read" under one's own group messages: wraps client.messages.readReceipts with a
 * ReadReceiptCache (lazy, batched, throttled) and refreshes it from the SDK's receipt events,
 * when the page comes back to the front, and when the connection is live again.
 */
export const useReadsStore = defineStore('reads', () => {
  const client = sdkClient();
  const known = shallowReactive(new Map<string, ReadReceipts>());
  const cache = new ReadReceiptCache({
    fetch: (conversationId, seq) => client.messages.readReceipts(conversationId, seq),
    onChange: (conversationId, seq, r) => known.set(`${conversationId}:${seq}`, r),
    isPermanent: (e) => e instanceof MyChatError && PERMANENT.has(e.reason),
  });

  // Groups of up to message.groupReceiptPushMaxMembers push a receipt when someone reads past
  // one's messages; bigger groups push none and rely on the refreshes below and maxAgeMs. A push
  // for a delivery repeats the reader's read cursor: only messages it newly covers are asked.
  const readSeqs = new Map<string, number>();
  client.on('receipt', (r) => {
    if (r.readSeq <= 0 || r.userId === useSessionStore().me?.id) return;
    const k = `${r.conversationId}:${r.userId}`;
    const before = readSeqs.get(k) ?? 0;
    if (r.readSeq <= before) return;
    readSeqs.set(k, r.readSeq);
    cache.refresh(r.conversationId, r.readSeq, before);
  });
  let frontAt = -Infinity;
  function toFront() {
    if (document.visibilityState !== 'visible' || Date.now() - frontAt < FRONT_DEBOUNCE_MS) return;
    frontAt = Date.now();
    cache.refresh();
  }
  document.addEventListener('visibilitychange', toFront);
  addEventListener('focus', toFront);
  // Receipts pushed while the socket was down are not sent again.
  client.on('state', (s) => {
    if (s === 'live') cache.refresh();
  });

  /** What is known about one's message `seq` (undefined until the first answer). */
  function of(conversationId: string, seq: number): ReadReceipts | undefined {
    return known.get(`${conversationId}:${seq}`);
  }

  return {
    of,
    /** A row shows the message; returns the function to call when it goes away. */
    show: (conversationId: string, seq: number) => cache.show(conversationId, seq),
    /** Asks again for one message (its reader list was opened). */
    refreshOne: (conversationId: string, seq: number) => cache.refreshOne(conversationId, seq),
  };
});
