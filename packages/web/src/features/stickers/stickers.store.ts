import { StickersApi, type ChatMessage, type Sticker, type StickerPack } from '@mychat/sdk';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { sdkClient } from '../../sdk/current-client.js';

/**
 * Stickers (表情包): wraps the SDK's StickersApi. The list (the user's own and the installed packs,
 * with short-lived URLs) is loaded when the picker first opens and again when another device
 * changed it or the URLs are about to expire.
 */
export const useStickersStore = defineStore('stickers', () => {
  // Built here, in this lazy chunk: the stickers protocol loads with the sticker parts.
  const api = new StickersApi(sdkClient());
  const mine = ref<Sticker[]>([]);
  const packs = ref<StickerPack[]>([]);
  const loaded = ref(false);
  let expiresAt = 0;
  let loading: Promise<void> | undefined;

  async function reload(): Promise<void> {
    const r = await api.list();
    mine.value = r.stickers;
    packs.value = r.packs;
    expiresAt = r.urlsExpireAt;
    loaded.value = true;
  }

  /** Loads the list unless it is fresh (URLs with more than a minute left). */
  function ensure(): Promise<void> {
    if (loaded.value && expiresAt - Date.now() > 60_000) return Promise.resolve();
    loading ??= reload().finally(() => (loading = undefined));
    return loading;
  }

  api.on('changed', () => {
    if (loaded.value) void reload().catch(() => undefined);
  });

  /** "Add to stickers" on an image or sticker message; whether it was already there. */
  async function add(m: ChatMessage): Promise<boolean> {
    const r = await api.add(m.conversationId, m.seq);
    if (loaded.value) await reload();
    return r.existed;
  }

  async function remove(s: Sticker): Promise<void> {
    await api.delete([s.id]);
    mine.value = mine.value.filter((x) => x.id !== s.id);
  }

  const send = (conversationId: string, s: Sticker) => api.send(conversationId, s);

  return { mine, packs, loaded, ensure, add, remove, send };
});
