/** 朋友圈调用的错误文案（并入 errors）。 */
export const momentsErrors = {
  MOMENT_EMPTY: '写点什么，或添加照片或视频。',
  MOMENT_TOO_MANY_MEDIA: '一条朋友圈最多 9 张照片，或 1 个视频。',
  MOMENT_ALREADY_LIKED: '你已经赞过了。',
  MOMENT_TOO_MANY_MENTIONS: '最多提醒 10 位朋友。',
  MOMENT_TOO_MANY_COMMENTS: '这条朋友圈的评论已满。',
};
