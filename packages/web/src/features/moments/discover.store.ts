import type { MomentsBadge } from '@mychat/sdk';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { sdkClient } from '../../sdk/current-client.js';

/**
 * The Discover tab's badge, from the start of the app: the red dot of a friend's new post (with
 * its author, whose avatar goes with it) and the count of unread moments notices. Small on
 * purpose: the shell loads it at once, the moments pages (moments.store.ts) only when opened.
 */
export const useDiscoverStore = defineStore('discover', () => {
  const client = sdkClient();
  const badge = ref<MomentsBadge>(client.moments.badge);
  /** Who posted the moment of the newest hint. */
  const latestAuthorId = ref('');

  /** Asks the server how many notices are unread (the SDK's badge follows). */
  async function refreshCount(): Promise<void> {
    await client.moments.notices({ limit: 1 });
  }

  client.moments.on('badge', (b) => (badge.value = b));
  client.moments.on('hint', (h) => (latestAuthorId.value = h.authorId));
  // Notices that came while offline: the count is asked again each time the socket is live.
  client.on('state', (s) => {
    if (s === 'live') void refreshCount().catch(() => undefined);
  });
  if (client.state === 'live') void refreshCount().catch(() => undefined);

  return { badge, latestAuthorId, refreshCount };
});
