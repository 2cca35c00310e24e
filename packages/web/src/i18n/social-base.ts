/**
 * The strings of pictures and favourites the app needs before those parts load (the message
 * menu's Favourite, the group picture line in a chat, the favourites error), merged into the
 * base strings at start (index.ts); the rest is in social.ts, loaded with its pages.
 */
export const socialBaseEn = {
  chat: {
    favorite: 'Favourite',
    system: { group_avatar_changed: '{name} changed the group picture' },
  },
  errors: { FAVORITES_FULL: 'Your favourites are full. Delete some first.' },
};

export const socialBaseZhCN: typeof socialBaseEn = {
  chat: {
    favorite: '收藏',
    system: { group_avatar_changed: '{name} 修改了群头像' },
  },
  errors: { FAVORITES_FULL: '收藏已满，请先删除一些。' },
};
