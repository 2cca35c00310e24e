/**
 * Texts of the operators' notice banner, merged into both languages by the notices store when
 * it loads after sign-in (en.ts and zh-CN.ts are at their size limit). Both have the same keys.
 */
export const noticesEn = {
  notices: {
    label: 'Notice from the operators',
    dismiss: 'Dismiss the notice',
  },
};

export const noticesZhCN: typeof noticesEn = {
  notices: {
    label: '系统公告',
    dismiss: '关闭公告',
  },
};
