import type { ChatMessage } from '@mychat/sdk';
import { i18n } from '../../i18n/index.js';

/** Reactions, edits and link previews change another message; pins are notices: none is news to notify. */
export const isQuiet = (m: ChatMessage) =>
  ['reaction', 'edit', 'linkPreview', 'pin'].includes(m.content.type);

/** "Ann pinned a message" / "You unpinned a message". */
export function pinText(m: ChatMessage, nameOf: (id: string) => string, myId: string): string {
  const t = i18n.global.t;
  const un = m.content.type === 'pin' && m.content.unpin;
  if (m.senderId === myId) return t(un ? 'msgops.youUnpinned' : 'msgops.youPinned');
  return t(un ? 'msgops.unpinned' : 'msgops.pinned', { name: nameOf(m.senderId) || t('common.unknownUser') });
}
