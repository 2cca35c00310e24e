import type { ChatMessage } from '@mychat/sdk';
import { defineAsyncComponent } from 'vue';
import { i18n, loadStickersMessages } from '../../i18n/index.js';
import { errorText } from '../../lib/errors.js';

/** What the chat takes from stickers and link previews: parts that load (with their strings) on first use. */
export const StickerMessage = defineAsyncComponent(() =>
  loadStickersMessages().then(() => import('./StickerMessage.vue')),
);
export const StickerPanel = defineAsyncComponent(() =>
  loadStickersMessages().then(() => import('./StickerPanel.vue')),
);
export const LinkPreviewCard = defineAsyncComponent(() =>
  loadStickersMessages().then(() => import('./LinkPreviewCard.vue')),
);

/** Messages whose image can be kept as a sticker. */
export const canAddSticker = (m: ChatMessage) =>
  !m.recalled &&
  (m.content.type === 'sticker' || (m.content.type === 'image' && m.content.images.length === 1));

/** "Add to stickers" in a message's menu: keeps the image, answers the line to flash. */
export async function addSticker(m: ChatMessage): Promise<string> {
  try {
    const [{ useStickersStore }] = await Promise.all([import('./stickers.store.js'), loadStickersMessages()]);
    const existed = await useStickersStore().add(m);
    return i18n.global.t(existed ? 'stickers.already' : 'stickers.added');
  } catch (e) {
    return errorText(e);
  }
}
