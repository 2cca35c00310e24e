/**
 * Strings of stickers (表情包) and link previews, merged when their parts first load
 * (loadStickersMessages). Both languages have the same keys (i18n.test.ts checks).
 */
export const stickersEn = {
  stickers: {
    added: 'Added to stickers',
    already: 'Already in your stickers',
    mine: 'My stickers',
    empty: 'No stickers yet. Choose "Add to stickers" on an image in a chat.',
    send: 'Send sticker {name}',
    image: 'Sticker {name}',
    remove: 'Remove sticker {name}',
    removed: 'Sticker removed',
    reorder: 'Reorder',
    done: 'Done',
    earlier: 'Move sticker {n} earlier',
    later: 'Move sticker {n} later',
    loading: 'Loading stickers…',
    failed: 'Stickers could not be loaded.',
    link: 'Link preview: {title}',
  },
  errors: {
    STICKERS_FULL: 'You have as many stickers as you can keep. Remove some first.',
    STICKER_TOO_LARGE: 'A sticker can be at most 1 MB.',
    STICKER_NOT_IMAGE: 'Only JPEG, PNG, GIF and WebP images can be stickers.',
    STICKER_PACK_INVALID: 'This sticker pack is not valid.',
    LINK_PREVIEW_REFUSED: 'This link cannot be previewed.',
    LINK_PREVIEW_UNAVAILABLE: 'The page could not be read for a preview.',
  },
};

export const stickersZhCN: typeof stickersEn = {
  stickers: {
    added: '已添加到表情',
    already: '表情里已经有这张',
    mine: '我的表情',
    empty: '还没有表情。在聊天中的图片上选择“添加到表情”。',
    send: '发送表情 {name}',
    image: '表情 {name}',
    remove: '删除表情 {name}',
    removed: '已删除表情',
    reorder: '排序',
    done: '完成',
    earlier: '将第 {n} 个表情前移',
    later: '将第 {n} 个表情后移',
    loading: '正在加载表情…',
    failed: '表情加载失败。',
    link: '链接预览：{title}',
  },
  errors: {
    STICKERS_FULL: '表情已满，请先删除一些。',
    STICKER_TOO_LARGE: '表情最大 1 MB。',
    STICKER_NOT_IMAGE: '只有 JPEG、PNG、GIF 和 WebP 图片可以添加为表情。',
    STICKER_PACK_INVALID: '这个表情包无效。',
    LINK_PREVIEW_REFUSED: '这个链接不能预览。',
    LINK_PREVIEW_UNAVAILABLE: '无法读取网页生成预览。',
  },
};
