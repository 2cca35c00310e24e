/**
 * How the service worker words a push (docs/protocol.md section 10): the server sends fields,
 * never sentences, so the text follows the app's language. Pure, so it is tested in Node.
 */
export interface PushPayload {
  v: number;
  kind: 'message' | 'friend_request' | 'group_joined' | 'moment' | 'clear' | 'test' | 'call' | string;
  notice?: 'like' | 'comment' | 'reply' | 'mention' | string;
  conversationId?: string;
  direct?: boolean;
  from?: string;
  group?: string;
  count?: number;
  text?: string;
  media?: string;
  mention?: boolean;
  callId?: string;
  unread?: number;
  url?: string;
  at?: number;
}

type Words = {
  app: string;
  newMessage: (from: string) => string;
  newMessages: (n: number) => string;
  mentioned: (from: string) => string;
  media: Record<string, string>;
  friendRequest: string;
  friendRequestBody: (from: string) => string;
  groupJoined: string;
  groupJoinedBody: (group: string) => string;
  moments: string;
  colon: string;
  momentNotice: Record<string, (from: string) => string>;
  test: string;
  testBody: string;
  call: (video: boolean) => string;
};

const WORDS: Record<'en' | 'zh-CN', Words> = {
  en: {
    app: 'MyChat',
    newMessage: (from) => `New message from ${from}`,
    newMessages: (n) => `${n} new messages`,
    mentioned: (from) => `${from} mentioned you`,
    media: {
      image: '[Photo]',
      voice: '[Voice message]',
      video: '[Video]',
      file: '[File]',
      call: '[Call]',
      sticker: '[Sticker]',
      chat_record: '[Chat history]',
      room: '[Listen together]',
    },
    friendRequest: 'Friend request',
    friendRequestBody: (from) => `${from} wants to be your friend`,
    groupJoined: 'New group',
    groupJoinedBody: (group) => `You were added to ${group}`,
    moments: 'Moments',
    colon: ': ',
    momentNotice: {
      like: (from) => `${from} liked your moment`,
      comment: (from) => `${from} commented on your moment`,
      reply: (from) => `${from} replied to your comment`,
      mention: (from) => `${from} reminded you to see a moment`,
    },
    test: 'MyChat',
    testBody: 'Notifications work on this device.',
    call: (video) => (video ? 'Incoming video call' : 'Incoming voice call'),
  },
  'zh-CN': {
    app: 'MyChat',
    newMessage: (from) => `${from} 发来一条新消息`,
    newMessages: (n) => `${n} 条新消息`,
    mentioned: (from) => `${from} 提到了你`,
    media: {
      image: '[图片]',
      voice: '[语音]',
      video: '[视频]',
      file: '[文件]',
      call: '[通话]',
      sticker: '[动画表情]',
      chat_record: '[聊天记录]',
      room: '[一起听]',
    },
    friendRequest: '好友申请',
    friendRequestBody: (from) => `${from} 请求添加你为好友`,
    groupJoined: '新群聊',
    groupJoinedBody: (group) => `你已被加入群聊「${group}」`,
    moments: '朋友圈',
    colon: '：',
    momentNotice: {
      like: (from) => `${from} 赞了你的朋友圈`,
      comment: (from) => `${from} 评论了你的朋友圈`,
      reply: (from) => `${from} 回复了你的评论`,
      mention: (from) => `${from} 提醒你看一条朋友圈`,
    },
    test: 'MyChat',
    testBody: '此设备可以收到通知。',
    call: (video) => (video ? '邀请你视频通话' : '邀请你语音通话'),
  },
};

export const wordsFor = (locale: string): Words =>
  locale.toLowerCase().startsWith('zh') ? WORDS['zh-CN'] : WORDS.en;

/** The notification for a push, or undefined for a push that shows none (clear). */
export function notificationFor(
  p: PushPayload,
  locale: string,
): { title: string; body: string; tag: string; url: string; renotify: boolean } | undefined {
  const w = wordsFor(locale);
  const url = p.url && p.url.startsWith('/') && !p.url.startsWith('//') ? p.url : '/';
  const from = p.from || w.app;
  switch (p.kind) {
    case 'message': {
      const title = p.direct ? from : p.group || w.app;
      const count = p.count ?? 1;
      let body: string;
      if (p.mention) body = w.mentioned(from);
      else if (count > 1) body = p.direct ? w.newMessages(count) : `${from}: ${w.newMessages(count)}`;
      else if (p.text) body = p.direct ? p.text : `${from}: ${p.text}`;
      else if (p.media && w.media[p.media])
        body = p.direct ? w.media[p.media]! : `${from}: ${w.media[p.media]}`;
      else body = w.newMessage(from);
      return { title, body, tag: `c:${p.conversationId ?? ''}`, url, renotify: true };
    }
    case 'friend_request':
      return {
        title: w.friendRequest,
        body: w.friendRequestBody(from),
        tag: 'friend-requests',
        url,
        renotify: true,
      };
    case 'group_joined':
      return {
        title: w.groupJoined,
        body: w.groupJoinedBody(p.group || w.app),
        tag: `c:${p.conversationId ?? ''}`,
        url,
        renotify: false,
      };
    case 'moment': {
      const say = p.notice ? w.momentNotice[p.notice] : undefined;
      if (!say) return undefined;
      const line = say(from);
      return {
        title: w.moments,
        body: p.text ? `${line}${w.colon}${p.text}` : line,
        tag: 'moments',
        url,
        renotify: true,
      };
    }
    case 'test':
      return { title: w.test, body: w.testBody, tag: 'test', url, renotify: true };
    case 'call':
      return {
        title: p.direct ? from : p.group || w.app,
        body: p.direct ? w.call(p.media === 'video') : `${from}: ${w.call(p.media === 'video')}`,
        tag: `call:${p.callId ?? ''}`,
        url,
        renotify: true,
      };
    default:
      return undefined;
  }
}

/** The tag of a conversation's notifications (the page closes them when it reads there). */
export const conversationTag = (conversationId: string) => `c:${conversationId}`;
