/**
 * The strings of stickers the app needs before that part loads (the chat list's line, a
 * quote, the message menu, the picker's tabs), merged into the base strings at start
 * (index.ts); the rest is in stickers.ts, loaded with the sticker parts.
 */
export const stickersBaseEn = {
  stickers: {
    sticker: '[Sticker]',
    add: 'Add to stickers',
    tab: 'Stickers',
  },
};

export const stickersBaseZhCN: typeof stickersBaseEn = {
  stickers: {
    sticker: '[动画表情]',
    add: '添加到表情',
    tab: '表情包',
  },
};
