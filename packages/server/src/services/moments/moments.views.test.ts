import { describe, expect, it } from 'vitest';
import type { CommentRow, LikeRow } from './moments.social.repository.js';
import { commentMsg, likeMsg, personMsg } from './moments.views.js';

describe('moments messages', () => {
  it('are made once per row object (kept rows answer with the same messages), anew for a new row', () => {
    const like: LikeRow = { momentId: '1', userId: '2', createdAt: 1_000 };
    expect(likeMsg(like)).toBe(likeMsg(like));
    expect(likeMsg({ ...like })).not.toBe(likeMsg(like));
    expect(likeMsg(like)).toMatchObject({ userId: '2', createdAt: { seconds: 1n } });
    const c: CommentRow = {
      id: '5',
      momentId: '1',
      authorId: '2',
      replyToCommentId: null,
      replyToUserId: null,
      text: 'hi',
      createdAt: 2_000,
    };
    expect(commentMsg(c)).toBe(commentMsg(c));
    expect(commentMsg(c)).toMatchObject({ id: '5', text: 'hi', replyToUserId: '' });
    const p = { id: '2', nickname: 'Ann', avatarUrl: '', remark: 'sis' };
    expect(personMsg(p)).toBe(personMsg(p));
    expect(personMsg({ ...p, remark: '' }).remark).toBe('');
  });
});
