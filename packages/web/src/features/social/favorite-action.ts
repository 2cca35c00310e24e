import type { ChatMessage } from '@mychat/sdk';
import { i18n, loadSocialMessages } from '../../i18n/index.js';
import { errorText } from '../../lib/errors.js';
import { sdkClient } from '../../sdk/current-client.js';

/** "Favourite" in a message's menu: saves it (收藏) and answers the line to flash. */
export async function favorite(m: ChatMessage): Promise<string> {
  try {
    await sdkClient().favorites.add(m.conversationId, m.seq);
    await loadSocialMessages();
    return i18n.global.t('social.favorited');
  } catch (e) {
    return errorText(e);
  }
}
