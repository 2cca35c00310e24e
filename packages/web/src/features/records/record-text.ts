import type { MessageContent } from '@mychat/sdk';
import { i18n } from '../../i18n/index.js';

/** One line for a snapshot inside a chat record (the card's preview). */
export function recordLine(c: MessageContent): string {
  const t = i18n.global.t;
  switch (c.type) {
    case 'text':
      return c.text.replace(/\s+/g, ' ');
    case 'image':
    case 'voice':
    case 'video':
      return t(`chat.${c.type}`);
    case 'file':
      return `${t('chat.file')} ${c.name}`;
    case 'chatRecord':
      return t('records.chatRecord');
    default:
      return t('chat.unsupported');
  }
}
