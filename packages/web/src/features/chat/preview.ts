import type { ChatMessage } from '@mychat/sdk';
import { i18n } from '../../i18n/index.js';
import { pinText } from '../msgops/texts.js';
import { clock, dateTime, dayKey } from '../../lib/format.js';

export type NameOf = (userId: string) => string;

/** The latest instant a Date can hold: a larger until_ms would make the time formatter throw. */
const MAX_DATE_MS = 8.64e15;

/**
 * A system notice as a sentence, with people's names. Kinds this client does not know, and
 * events whose args are too broken to say anything true, read as the generic "Group updated".
 */
export function systemText(m: ChatMessage, nameOf: NameOf): string {
  if (m.content.type !== 'system') return '';
  const { kind, args } = m.content;
  const { t, te } = i18n.global;
  const someone = () => t('common.unknownUser');
  // One id or several, comma-separated; an id nobody knows, or none at all, reads as "Someone".
  const names = (ids: string | undefined) => {
    const list = (ids ?? '')
      .split(',')
      .filter(Boolean)
      .map((id) => nameOf(id) || someone());
    return list.length ? list.join(i18n.global.locale.value === 'zh-CN' ? '、' : ', ') : someone();
  };
  switch (kind) {
    case 'group_created':
      return t('chat.system.group_created', { name: names(m.senderId) });
    case 'member_joined': {
      const name = names(args.user_ids);
      if (args.via === 'invite_link') return t('chat.system.member_joined_link', { name });
      // Added by someone else; joining on one's own (or an unknown actor) reads as plain "joined".
      const joined = (args.user_ids ?? '').split(',');
      if (args.by && !joined.includes(args.by))
        return t('chat.system.member_joined_invited', { by: names(args.by), name });
      return t('chat.system.member_joined', { name });
    }
    case 'member_removed':
      if (args.by && args.by !== args.user_id)
        return t('chat.system.member_removed_by', { by: names(args.by), name: names(args.user_id) });
      return t('chat.system.member_removed', { name: names(args.user_id) });
    case 'member_left':
    case 'member_unmuted':
      return t(`chat.system.${kind}`, { name: names(args.user_id) });
    case 'group_dissolved': {
      // The sender of a group event is who caused it ("0" when the server did).
      const by = m.senderId !== '0' ? nameOf(m.senderId) : '';
      return by ? t('chat.system.group_dissolved', { name: by }) : t('chat.system.group_dissolved_unnamed');
    }
    case 'role_changed': {
      const role = `groups.roles.${args.role}`;
      if (!args.role || !te(role)) break;
      return t('chat.system.role_changed', { name: names(args.user_id), role: t(role) });
    }
    case 'owner_transferred':
      return t('chat.system.owner_transferred', { from: names(args.from), to: names(args.to) });
    case 'group_renamed':
      if (!args.name) break;
      // A rename saved together with a new announcement is one event, flagged by `announcement`.
      return t(args.announcement ? 'chat.system.group_renamed_announced' : 'chat.system.group_renamed', {
        groupName: args.name,
      });
    case 'announcement_updated':
      return t('chat.system.announcement_updated');
    case 'group_avatar_changed':
      return t('chat.system.group_avatar_changed', { name: nameOf(m.senderId) || t('common.unknownUser') });
    case 'member_muted': {
      const name = names(args.user_id);
      const until = /^\d+$/.test(args.until_ms ?? '') ? Number(args.until_ms) : 0;
      if (until <= 0 || until > MAX_DATE_MS) return t('chat.system.member_muted_untimed', { name });
      // The time alone when the mute ends on the day of the notice; else the date too.
      const time = dayKey(until) === dayKey(m.createdAt) ? clock(until) : dateTime(until);
      return t('chat.system.member_muted', { name, time });
    }
    case 'group_muted':
      if (args.muted === 'true') return t('chat.system.group_muted_on');
      if (args.muted === 'false') return t('chat.system.group_muted_off');
      break;
    case 'friend_added':
      return t('chat.system.friend_added');
  }
  return t('chat.system.other');
}

/** A call's record: "Video call 03:21", "Missed voice call", ... (the caller and the others see it differently). */
export function callText(m: ChatMessage, myId: string): string {
  const t = i18n.global.t;
  if (m.content.type !== 'call') return '';
  const c = m.content;
  const kind = t(`chat.callRecord.${c.media}`);
  const s = Math.round(c.durationMs / 1000);
  const time = `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  const caller = m.senderId === myId;
  switch (c.outcome) {
    case 'completed':
    case 'dropped':
      return t('chat.callRecord.done', { kind, time });
    case 'declined':
      return t('chat.callRecord.declined', { kind });
    case 'busy':
      return t('chat.callRecord.busy', { kind });
    case 'no_answer':
      return caller ? t('chat.callRecord.noAnswer', { kind }) : t('chat.callRecord.missed', { kind });
    default:
      return caller ? t('chat.callRecord.cancelled', { kind }) : t('chat.callRecord.missed', { kind });
  }
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
    case 'pin':
      return pinText(m, nameOf, myId);
    case 'chatRecord':
      return t('records.chatRecord');
    case 'room':
      return `${t('chat.room')} ${m.content.title}`;
    case 'sticker':
      return t('stickers.sticker');
    case 'call':
      return callText(m, myId);
    case 'encrypted':
      return t('e2ee.preview');
    default:
      return t('chat.unsupported');
  }
}

/**
 * A desktop notification: a group's name over "Sender: text", a person's name over the text.
 * A group notice names its people itself, so it gets no sender prefix.
 */
export function notificationText(
  m: ChatMessage,
  conversation: { type: string; name: string } | undefined,
  nameOf: NameOf,
  myId: string,
): { title: string; body: string } {
  const who = nameOf(m.senderId) || i18n.global.t('common.unknownUser');
  const text = preview(m, nameOf, myId);
  if (conversation?.type !== 'group') return { title: who, body: text };
  return {
    title: conversation.name || 'MyChat',
    body: m.content.type === 'system' ? text : `${who}: ${text}`,
  };
}
