import type { ChatMessage } from '@mychat/sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';

// The i18n module reads the saved locale and the browser's languages when it loads; these tests
// run in Node, so give it a browser's worth of those before the imports below are evaluated.
vi.hoisted(() => {
  vi.stubGlobal('localStorage', { getItem: () => 'en', setItem: () => undefined });
  vi.stubGlobal('navigator', { languages: ['en'], language: 'en' });
  // Vue's DOM runtime asks for a <template> element when it loads; nothing is rendered here.
  vi.stubGlobal('document', { documentElement: { lang: '' }, createElement: () => ({}) });
});

import { i18n } from '../../i18n/index.js';
import { notificationText, preview, systemText } from './preview.js';

const PEOPLE: Record<string, string> = { a: 'Alice', b: 'Bob', c: 'Cat' };
const nameOf = (id: string) => PEOPLE[id] ?? '';

// Local wall-clock times, so the expected texts hold in any time zone.
const AT = new Date(2026, 10, 27, 14, 20).getTime();
/** A day of November 2026 at a local time, as the until_ms arg the server sends. */
const at = (day: number, hour: number, minute: number) =>
  String(new Date(2026, 10, day, hour, minute).getTime());

function system(kind: string, args: Record<string, string> = {}, createdAt = AT): ChatMessage {
  return {
    conversationId: 'g1',
    seq: 7,
    id: '1007',
    senderId: 'a',
    clientMsgId: 'system:1',
    content: { type: 'system', kind, args },
    replyToSeq: 0,
    mentionUserIds: [],
    mentionAll: false,
    createdAt,
    recalled: false,
  };
}

/** The text in a language; Intl puts a narrow no-break space before "PM", which reads as a space. */
function say(locale: 'en' | 'zh-CN', m: ChatMessage): string {
  i18n.global.locale.value = locale;
  return systemText(m, nameOf).replace(/\s/g, ' ');
}

afterEach(() => {
  i18n.global.locale.value = 'en';
});

type Case = [what: string, m: ChatMessage, en: string, zh: string];

describe('systemText: each kind the server sends', () => {
  const cases: Case[] = [
    [
      'group_created names its sender',
      system('group_created', { name: 'Hiking' }),
      'Alice created the group',
      '“Alice”创建了群聊',
    ],
    [
      'member_joined names who added everyone',
      system('member_joined', { user_ids: 'b,c', by: 'a' }),
      'Alice invited Bob, Cat to the group',
      '“Alice”邀请“Bob、Cat”加入了群聊',
    ],
    [
      'member_joined by invite link',
      system('member_joined', { user_ids: 'b', via: 'invite_link' }),
      'Bob joined the group via an invite link',
      '“Bob”通过邀请链接加入了群聊',
    ],
    [
      'member_joined on one’s own',
      system('member_joined', { user_ids: 'b', by: 'b' }),
      'Bob joined the group',
      '“Bob”加入了群聊',
    ],
    ['member_left', system('member_left', { user_id: 'b' }), 'Bob left the group', '“Bob”退出了群聊'],
    [
      'member_removed names who removed them',
      system('member_removed', { user_id: 'c', by: 'a' }),
      'Alice removed Cat from the group',
      '“Cat”被“Alice”移出了群聊',
    ],
    [
      'group_dissolved names its sender (the owner)',
      system('group_dissolved'),
      'Alice dissolved the group',
      '“Alice”解散了群聊',
    ],
    [
      'role_changed',
      system('role_changed', { user_id: 'b', role: 'admin' }),
      'Bob is now Admin',
      '“Bob”现在是管理员',
    ],
    [
      'owner_transferred names both people',
      system('owner_transferred', { from: 'a', to: 'b' }),
      'Alice made Bob the owner',
      '“Alice”已将群主转让给“Bob”',
    ],
    [
      'group_renamed',
      system('group_renamed', { name: 'Trail crew' }),
      'The group was renamed to “Trail crew”',
      '群名已修改为“Trail crew”',
    ],
    [
      'group_renamed with a new announcement in the same save',
      system('group_renamed', { name: 'Trail crew', announcement: 'updated' }),
      'The group was renamed to “Trail crew” and the announcement was updated',
      '群名已修改为“Trail crew”，群公告已更新',
    ],
    ['announcement_updated', system('announcement_updated'), 'The announcement was updated', '群公告已更新'],
    [
      'member_muted until later today shows the time',
      system('member_muted', { user_id: 'c', until_ms: at(27, 14, 30) }),
      'Cat was muted until 2:30 PM',
      '“Cat”被禁言至 14:30',
    ],
    [
      'member_muted for a week shows the date',
      system('member_muted', { user_id: 'c', until_ms: String(new Date(2026, 11, 4, 14, 20).getTime()) }),
      'Cat was muted until Dec 4, 2026, 2:20 PM',
      '“Cat”被禁言至 2026年12月4日 14:20',
    ],
    [
      'member_muted for a day (a moment under 24 h) shows the date, not a time that reads as today',
      system('member_muted', { user_id: 'c', until_ms: at(28, 14, 19) }),
      'Cat was muted until Nov 28, 2026, 2:19 PM',
      '“Cat”被禁言至 2026年11月28日 14:19',
    ],
    [
      'member_muted past midnight shows the date',
      system('member_muted', { user_id: 'c', until_ms: at(28, 0, 5) }, Number(at(27, 23, 55))),
      'Cat was muted until Nov 28, 2026, 12:05 AM',
      '“Cat”被禁言至 2026年11月28日 00:05',
    ],
    [
      'member_unmuted',
      system('member_unmuted', { user_id: 'c' }),
      'Cat can speak again',
      '“Cat”已被解除禁言',
    ],
    [
      'group_muted on',
      system('group_muted', { muted: 'true' }),
      'Everyone was muted except the owner and admins',
      '已开启全员禁言，仅群主和管理员可发言',
    ],
    [
      'group_muted off',
      system('group_muted', { muted: 'false' }),
      'The group is no longer muted',
      '已解除全员禁言',
    ],
    ['friend_added', system('friend_added'), 'You are now friends. Say hi!', '你们已成为好友，打个招呼吧！'],
  ];

  it.each(cases)('%s', (_what, m, en, zh) => {
    expect(say('en', m)).toBe(en);
    expect(say('zh-CN', m)).toBe(zh);
  });
});

describe('systemText: bad input', () => {
  const cases: Case[] = [
    [
      'member_muted with a non-numeric until_ms says muted, without a time',
      system('member_muted', { user_id: 'c', until_ms: 'soon' }),
      'Cat was muted',
      '“Cat”已被禁言',
    ],
    [
      'member_muted without until_ms',
      system('member_muted', { user_id: 'c' }),
      'Cat was muted',
      '“Cat”已被禁言',
    ],
    [
      'member_muted with a negative until_ms',
      system('member_muted', { user_id: 'c', until_ms: '-5' }),
      'Cat was muted',
      '“Cat”已被禁言',
    ],
    [
      'member_muted with an until_ms past what a date can hold (the formatter would throw)',
      system('member_muted', { user_id: 'c', until_ms: '99999999999999999999' }),
      'Cat was muted',
      '“Cat”已被禁言',
    ],
    [
      'member_muted without user_id',
      system('member_muted', { until_ms: at(27, 14, 30) }),
      'Someone was muted until 2:30 PM',
      '“某人”被禁言至 14:30',
    ],
    [
      'owner_transferred without from',
      system('owner_transferred', { to: 'b' }),
      'Someone made Bob the owner',
      '“某人”已将群主转让给“Bob”',
    ],
    [
      'owner_transferred to someone this client has no name for',
      system('owner_transferred', { from: 'a', to: 'zz' }),
      'Alice made Someone the owner',
      '“Alice”已将群主转让给“某人”',
    ],
    [
      'member_unmuted without user_id',
      system('member_unmuted'),
      'Someone can speak again',
      '“某人”已被解除禁言',
    ],
    [
      'member_joined without user_ids',
      system('member_joined', { by: 'a' }),
      'Alice invited Someone to the group',
      '“Alice”邀请“某人”加入了群聊',
    ],
    [
      'member_joined by someone this client has no name for',
      system('member_joined', { user_ids: 'b', by: 'zz' }),
      'Someone invited Bob to the group',
      '“某人”邀请“Bob”加入了群聊',
    ],
    [
      'member_removed without by',
      system('member_removed', { user_id: 'c' }),
      'Cat was removed from the group',
      '“Cat”被移出了群聊',
    ],
    [
      'group_dissolved by the server or someone unknown',
      { ...system('group_dissolved'), senderId: '0' },
      'The group was dissolved',
      '群聊已解散',
    ],
    [
      'member_joined with empty entries in the list',
      system('member_joined', { user_ids: ',b,,zz,' }),
      'Bob, Someone joined the group',
      '“Bob、某人”加入了群聊',
    ],
    ['group_muted without muted', system('group_muted'), 'Group updated', '群信息已更新'],
    [
      'group_muted with neither true nor false',
      system('group_muted', { muted: 'yes' }),
      'Group updated',
      '群信息已更新',
    ],
    [
      'role_changed to a role this client does not know',
      system('role_changed', { user_id: 'b', role: 'emperor' }),
      'Group updated',
      '群信息已更新',
    ],
    ['role_changed without role', system('role_changed', { user_id: 'b' }), 'Group updated', '群信息已更新'],
    ['group_renamed without name', system('group_renamed'), 'Group updated', '群信息已更新'],
    ['an unknown kind', system('poll_closed', { poll: '1' }), 'Group updated', '群信息已更新'],
  ];

  it.each(cases)('%s', (_what, m, en, zh) => {
    expect(say('en', m)).toBe(en);
    expect(say('zh-CN', m)).toBe(zh);
  });

  it('is empty for a message that is not a system notice', () => {
    const m: ChatMessage = { ...system('x'), content: { type: 'text', text: 'hi' } };
    expect(systemText(m, nameOf)).toBe('');
  });
});

describe('preview: the chat list line', () => {
  it('says what the chat says for a system notice, in both languages', () => {
    const m = system('owner_transferred', { from: 'a', to: 'b' });
    i18n.global.locale.value = 'en';
    expect(preview(m, nameOf, 'b')).toBe('Alice made Bob the owner');
    i18n.global.locale.value = 'zh-CN';
    expect(preview(m, nameOf, 'b')).toBe('“Alice”已将群主转让给“Bob”');
  });

  it('shows the mute time in the list too', () => {
    const m = system('member_muted', { user_id: 'c', until_ms: at(27, 14, 30) });
    expect(preview(m, nameOf, 'a').replace(/\s/g, ' ')).toBe('Cat was muted until 2:30 PM');
  });

  it('shows the generic text for an unknown kind', () => {
    expect(preview(system('poll_closed'), nameOf, 'a')).toBe('Group updated');
  });

  it('names a sticker as a sticker (not an unsupported message), in both languages', () => {
    const m: ChatMessage = {
      ...system('x'),
      content: { type: 'sticker', image: undefined, packId: '', emoji: '😂' },
    };
    i18n.global.locale.value = 'en';
    expect(preview(m, nameOf, 'b')).toBe('[Sticker]');
    i18n.global.locale.value = 'zh-CN';
    expect(preview(m, nameOf, 'b')).toBe('[动画表情]');
    i18n.global.locale.value = 'en';
  });
});

describe('notificationText: the desktop notification', () => {
  const text = (t: string): ChatMessage => ({ ...system('x'), content: { type: 'text', text: t } });
  const group = { type: 'group', name: 'Reading club' };

  it('names the group and prefixes the sender in a group, not on a group notice', () => {
    expect(notificationText(text('hi  there'), group, nameOf, 'me')).toEqual({
      title: 'Reading club',
      body: 'Alice: hi there',
    });
    expect(
      notificationText(system('owner_transferred', { from: 'a', to: 'b' }), group, nameOf, 'me'),
    ).toEqual({
      title: 'Reading club',
      body: 'Alice made Bob the owner',
    });
  });

  it('names the sender in a 1:1 chat, and someone it cannot name as "Someone"', () => {
    expect(notificationText(text('hi'), { type: 'direct', name: '' }, nameOf, 'me')).toEqual({
      title: 'Alice',
      body: 'hi',
    });
    const stranger = { ...text('hi'), senderId: 'zz' };
    expect(notificationText(stranger, undefined, nameOf, 'me').title).toBe(
      i18n.global.t('common.unknownUser'),
    );
    expect(notificationText(stranger, { type: 'group', name: '' }, nameOf, 'me').title).toBe('MyChat');
  });
});
