import type { ChatMessage } from '@mychat/sdk';
import { i18n } from '../i18n/index.js';

export type NameOf = (userId: string) => string;

const SYSTEM_KINDS = [
  'member_joined',
  'member_left',
  'member_removed',
  'group_created',
  'group_renamed',
  'role_changed',
];

/** A system notice as a sentence, with people's names. */
export function systemText(m: ChatMessage, nameOf: NameOf): string {
  if (m.content.type !== 'system') return '';
  const { kind, args } = m.content;
  const t = i18n.global.t;
  const names = (ids: string | undefined) =>
    (ids ?? '')
      .split(',')
      .filter(Boolean)
      .map((id) => nameOf(id) || t('common.unknownUser'))
      .join(i18n.global.locale.value === 'zh-CN' ? '、' : ', ');
  if (!SYSTEM_KINDS.includes(kind)) return t('chat.system.other');
  const name =
    kind === 'member_joined'
      ? names(args.user_ids)
      : kind === 'group_created'
        ? names(m.senderId)
        : names(args.user_id);
  const role = args.role ? t(`groups.roles.${args.role}`) : '';
  return t(`chat.system.${kind}`, { name, groupName: args.name ?? '', role });
}

/** One line for the chat list and notifications. */
export function preview(m: ChatMessage, nameOf: NameOf, myId: string): string {
  const t = i18n.global.t;
  if (m.recalled || m.content.type === 'recall')
    return m.senderId === myId
      ? t('chat.youRecalled')
      : t('chat.recalled', { name: nameOf(m.senderId) || t('common.unknownUser') });
  switch (m.content.type) {
    case 'text':
      return m.content.text.replace(/\s+/g, ' ');
    case 'image':
      return t('chat.image');
    case 'voice':
      return t('chat.voice');
    case 'video':
      return t('chat.video');
    case 'file':
      return `${t('chat.file')} ${m.content.name}`;
    case 'system':
      return systemText(m, nameOf);
    default:
      return t('chat.unsupported');
  }
}
