import type { ChatMessage, Sticker, StickerPack } from '@mychat/sdk';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { sdkClient } from '../../sdk/current-client.js';

/**
 * Stickers (表情包): wraps client.stickers. The list (the user's own and the installed packs,
 * with short-lived URLs) is loaded when the picker first opens and again when another device
 * changed it or the URLs are about to expire.
 */
export const useStickersStore = defineStore('stickers', () => {
  const client = sdkClient();
  const mine = ref<Sticker[]>([]);
  const packs = ref<StickerPack[]>([]);
  const loaded = ref(false);
  let expiresAt = 0;
  let loading: Promise<void> | undefined;

  async function reload(): Promise<void> {
    const r = await client.stickers.list();
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

  client.stickers.on('changed', () => {
    if (loaded.value) void reload().catch(() => undefined);
  });

  /** "Add to stickers" on an image or sticker message; whether it was already there. */
  async function add(m: ChatMessage): Promise<boolean> {
    const r = await client.stickers.add(m.conversationId, m.seq);
    if (loaded.value) await reload();
    return r.existed;
  }

  async function remove(s: Sticker): Promise<void> {
    await client.stickers.delete([s.id]);
    mine.value = mine.value.filter((x) => x.id !== s.id);
  }

  /** Moves one of the user's stickers `by` places (-1 earlier, 1 later); undone if refused. */
  async function move(s: Sticker, by: number): Promise<void> {
    const before = mine.value;
    const i = before.findIndex((x) => x.id === s.id);
    const j = i + by;
    if (i < 0 || j < 0 || j >= before.length) return;
    const next = [...before];
    next.splice(j, 0, ...next.splice(i, 1));
    mine.value = next;
    try {
      await client.stickers.reorder(next.map((x) => x.id));
    } catch (e) {
      mine.value = before;
      throw e;
    }
  }

  const send = (conversationId: string, s: Sticker) => client.stickers.send(conversationId, s);

  return { mine, packs, loaded, ensure, add, remove, move, send };
});
