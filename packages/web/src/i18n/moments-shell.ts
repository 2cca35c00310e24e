/**
 * The moments strings the app shell needs before any moments page loads: the Discover tab, its
 * badge, and the album links on the Me and friend pages. The rest come with the pages (moments.ts).
 */
export const momentsShellEn = {
  moments: {
    discover: 'Discover',
    newPosts: 'New moments',
    newFrom: 'New moments from {name}',
    newNotices: '{n} new notice | {n} new notices',
    myAlbum: 'My album',
    openAlbum: 'Moments',
  },
};

export const momentsShellZhCN: typeof momentsShellEn = {
  moments: {
    discover: '发现',
    newPosts: '朋友圈有新动态',
    newFrom: '{name} 发了新动态',
    newNotices: '{n} 条新消息 | {n} 条新消息',
    myAlbum: '我的相册',
    openAlbum: '朋友圈',
  },
};

/** A language's messages with the shell's moments strings added. */
export function withMomentsShell<T extends object>(base: T, shell: typeof momentsShellEn) {
  return { ...base, moments: shell.moments };
}
