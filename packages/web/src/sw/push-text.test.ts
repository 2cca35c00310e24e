import { describe, expect, it } from 'vitest';
import { notificationFor } from './push-text.js';

describe('notificationFor', () => {
  const base = { v: 1, conversationId: '42', url: '/chat/42', at: 1 };

  it('words a content-less 1:1 message, a group burst and a mention, in English and Chinese', () => {
    expect(
      notificationFor({ ...base, kind: 'message', direct: true, from: 'Alice', count: 1 }, 'en'),
    ).toMatchObject({
      title: 'Alice',
      body: 'New message from Alice',
      tag: 'c:42',
      url: '/chat/42',
    });
    expect(
      notificationFor({ ...base, kind: 'message', from: 'Alice', group: 'Climbers', count: 5 }, 'en'),
    ).toMatchObject({
      title: 'Climbers',
      body: 'Alice: 5 new messages',
    });
    expect(
      notificationFor({ ...base, kind: 'message', from: '小明', group: '徒步', mention: true }, 'zh-CN'),
    ).toMatchObject({
      title: '徒步',
      body: '小明 提到了你',
    });
    expect(
      notificationFor({ ...base, kind: 'message', direct: true, from: 'A', media: 'image' }, 'zh-CN')?.body,
    ).toBe('[图片]');
  });

  it('words a sticker, a chat record and a room card as their kind, in either language', () => {
    const msg = { ...base, kind: 'message', from: 'Ann', count: 1 };
    expect(notificationFor({ ...msg, direct: true, media: 'sticker' }, 'en')?.body).toBe('[Sticker]');
    expect(notificationFor({ ...msg, group: 'G', media: 'sticker' }, 'zh-CN')?.body).toBe('Ann: [动画表情]');
    expect(notificationFor({ ...msg, direct: true, media: 'chat_record' }, 'zh-CN')?.body).toBe('[聊天记录]');
    expect(notificationFor({ ...msg, group: 'G', media: 'chat_record' }, 'en')?.body).toBe(
      'Ann: [Chat history]',
    );
    expect(notificationFor({ ...msg, direct: true, media: 'room' }, 'en')?.body).toBe('[Listen together]');
    expect(notificationFor({ ...msg, direct: true, media: 'room' }, 'zh-CN')?.body).toBe('[一起听]');
    // A kind this worker does not know yet: the generic line.
    expect(notificationFor({ ...msg, direct: true, media: 'hologram' }, 'en')?.body).toBe(
      'New message from Ann',
    );
  });

  it('shows the preview only when the payload carries it', () => {
    expect(notificationFor({ ...base, kind: 'message', from: 'A', group: 'G', text: 'hi' }, 'en')?.body).toBe(
      'A: hi',
    );
  });

  it('shows nothing for a clear, and never opens another origin', () => {
    expect(notificationFor({ ...base, kind: 'clear' }, 'en')).toBeUndefined();
    expect(notificationFor({ ...base, kind: 'test', url: 'https://evil.example/' }, 'en')?.url).toBe('/');
    expect(notificationFor({ ...base, kind: 'test', url: '//evil.example/' }, 'en')?.url).toBe('/');
    expect(
      notificationFor({ ...base, kind: 'friend_request', from: 'Bob', url: '/contacts' }, 'en'),
    ).toMatchObject({
      title: 'Friend request',
      body: 'Bob wants to be your friend',
      url: '/contacts',
    });
  });

  it('words moment notices, with the comment only when it came (preview on), and ignores unknown ones', () => {
    const m = { ...base, kind: 'moment', from: 'Ann', url: '/discover/moment/9' };
    expect(notificationFor({ ...m, notice: 'like' }, 'en')).toMatchObject({
      title: 'Moments',
      body: 'Ann liked your moment',
      tag: 'moments',
      url: '/discover/moment/9',
    });
    expect(notificationFor({ ...m, notice: 'comment', text: '好看' }, 'zh-CN')?.body).toBe(
      'Ann 评论了你的朋友圈：好看',
    );
    expect(notificationFor({ ...m, notice: 'reply' }, 'en')?.body).toBe('Ann replied to your comment');
    expect(notificationFor({ ...m, notice: 'mention' }, 'zh-CN')?.title).toBe('朋友圈');
    expect(notificationFor({ ...m, notice: 'boost' }, 'en')).toBeUndefined();
    expect(notificationFor({ ...m }, 'en')).toBeUndefined();
  });

  it('rings for an incoming call, and words a missed call record', () => {
    const ring = {
      ...base,
      kind: 'call',
      from: 'Ann',
      direct: true,
      media: 'video',
      callId: '9',
      url: '/chat/5',
    };
    expect(notificationFor(ring, 'en')).toMatchObject({
      title: 'Ann',
      body: 'Incoming video call',
      tag: 'call:9',
    });
    expect(notificationFor({ ...ring, media: 'voice' }, 'zh-CN')?.body).toBe('邀请你语音通话');
    expect(notificationFor({ ...ring, direct: false, group: 'G' }, 'en')).toMatchObject({
      title: 'G',
      body: 'Ann: Incoming video call',
    });
    expect(
      notificationFor({ ...base, kind: 'message', from: 'Ann', direct: true, media: 'call' }, 'zh-CN')?.body,
    ).toBe('[通话]');
  });
});
