import type {
  ChatFileHit,
  ConversationHits,
  DriveFileHit,
  FriendHit,
  GroupHit,
  MessageHit,
  MessageSearchResult,
  MomentHit,
  SquareHit,
} from '@mychat/sdk';
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { errorText } from '../../lib/errors.js';
import { sdkClient } from '../../sdk/current-client.js';

/** How long typing pauses before a search runs, ms. */
export const DEBOUNCE_MS = 250;

/** What the global panel shows for one query. */
export interface SearchResults {
  query: string;
  friends: FriendHit[];
  groups: GroupHit[];
  conversations: ConversationHits[];
  /** The newest hit of each conversation (shown when it is its only one). */
  firstHit: Record<string, MessageHit>;
  chatFiles: ChatFileHit[];
  driveFiles: DriveFileHit[];
  /** Posts of mine and my friends' that I may see. */
  moments: MomentHit[];
  /** Threads and replies of the square's boards I may read. */
  square: SquareHit[];
}

/** The hits of one conversation, paged (the panel's drill-down and the in-chat search). */
export interface ConversationSearch {
  conversationId: string;
  query: string;
  hits: MessageHit[];
  nextPageToken?: string;
  loading: boolean;
}

/** Global search (Ctrl/Cmd-K and the search box) and in-chat search: wraps client.search. */
export const useSearchStore = defineStore('search', () => {
  const client = sdkClient();
  const panelOpen = ref(false);
  const query = ref('');
  const loading = ref(false);
  const error = ref('');
  const results = shallowRef<SearchResults | null>(null);
  const drill = shallowRef<ConversationSearch | null>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let run = 0;

  function openPanel(q = query.value) {
    panelOpen.value = true;
    setQuery(q);
  }
  function closePanel() {
    panelOpen.value = false;
    drill.value = null;
  }

  /** Search-as-you-type: the query runs once typing pauses; an older answer never replaces a newer one. */
  function setQuery(q: string) {
    query.value = q;
    drill.value = null;
    clearTimeout(timer);
    if (!q.trim()) {
      run++;
      results.value = null;
      loading.value = false;
      error.value = '';
      return;
    }
    loading.value = true;
    timer = setTimeout(() => void search(q), DEBOUNCE_MS);
  }

  async function search(q: string) {
    const mine = ++run;
    error.value = '';
    const [people, messages, files, moments, square] = await Promise.allSettled([
      client.search.contacts(q, { limit: 20 }),
      client.search.messages(q, { limit: 50 }),
      client.search.files(q, { limit: 10 }),
      client.search.moments(q, { limit: 10 }),
      client.search.square(q, { limit: 10 }),
    ]);
    if (mine !== run) return;
    loading.value = false;
    const failed = [people, messages, files, moments, square].find((r) => r.status === 'rejected');
    if (failed) error.value = errorText((failed as PromiseRejectedResult).reason);
    const firstHit: Record<string, MessageHit> = {};
    const m = messages.status === 'fulfilled' ? messages.value : undefined;
    for (const h of m?.hits ?? []) firstHit[h.conversationId] ??= h;
    results.value = {
      query: q,
      friends: people.status === 'fulfilled' ? people.value.friends : [],
      groups: people.status === 'fulfilled' ? people.value.groups : [],
      conversations: m?.conversations ?? [],
      firstHit,
      chatFiles: files.status === 'fulfilled' ? files.value.chatFiles : [],
      driveFiles: files.status === 'fulfilled' ? files.value.driveFiles : [],
      moments: moments.status === 'fulfilled' ? moments.value.hits : [],
      square: square.status === 'fulfilled' ? square.value.hits : [],
    };
  }

  /** One page of a conversation's hits (newest first), after `pageToken`. */
  function inConversation(
    conversationId: string,
    q: string,
    pageToken?: string,
  ): Promise<MessageSearchResult> {
    return client.search.messages(q, { conversationId, limit: 30, ...(pageToken && { pageToken }) });
  }

  /** Shows the hits of one conversation in the panel. */
  async function openConversation(conversationId: string) {
    const q = results.value?.query ?? query.value;
    drill.value = { conversationId, query: q, hits: [], loading: true };
    await moreInDrill();
  }

  async function moreInDrill() {
    const d = drill.value;
    if (!d) return;
    drill.value = { ...d, loading: true };
    try {
      const r = await inConversation(d.conversationId, d.query, d.hits.length ? d.nextPageToken : undefined);
      if (drill.value?.conversationId !== d.conversationId) return;
      drill.value = {
        ...d,
        hits: [...d.hits, ...r.hits],
        loading: false,
        ...(r.nextPageToken ? { nextPageToken: r.nextPageToken } : { nextPageToken: undefined }),
      };
    } catch (e) {
      error.value = errorText(e);
      if (drill.value) drill.value = { ...drill.value, loading: false };
    }
  }

  return {
    panelOpen,
    query,
    loading,
    error,
    results,
    drill,
    openPanel,
    closePanel,
    setQuery,
    inConversation,
    openConversation,
    moreInDrill,
    closeDrill: () => (drill.value = null),
  };
});
