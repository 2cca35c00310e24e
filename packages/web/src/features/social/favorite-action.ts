import type { ChatMessage } from '@mychat/sdk';
import { i18n, loadSocialMessages } from '../../i18n/index.js';
import { errorText } from '../../lib/errors.js';
import { useSocialStore } from './social.store.js';

/** "Favourite" in a message's menu: saves it (收藏) and answers the line to flash. */
export async function favorite(m: ChatMessage): Promise<string> {
  try {
    await useSocialStore().favorite(m);
    await loadSocialMessages();
    return i18n.global.t('social.favorited');
  } catch (e) {
    return errorText(e);
  }
}
