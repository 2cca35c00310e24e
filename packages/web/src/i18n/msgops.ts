/**
 * Texts of reactions, edits and pinned messages (issue 24), merged into both languages by the
 * msgops store when the chat first loads it (en.ts and zh-CN.ts are at their size limit).
 * Both must have the same keys (msgops.test.ts checks).
 */
export const msgopsEn = {
  msgops: {
    react: 'React',
    picker: 'Choose a reaction',
    reactions: 'Reactions',
    chip: '{emoji} {n}',
    chipLabel: 'Reaction {emoji}, {n} people',
    edit: 'Edit',
    edited: 'Edited',
    editing: 'Editing message',
    cancelEdit: 'Cancel editing',
    pin: 'Pin',
    unpin: 'Unpin',
    pinnedBar: 'Pinned messages',
    pinnedOf: 'Pinned message {i} of {n}',
    pinnedOne: 'Pinned message',
    pinned: '{name} pinned a message',
    unpinned: '{name} unpinned a message',
    youPinned: 'You pinned a message',
    youUnpinned: 'You unpinned a message',
    reEdit: 'Re-edit',
    close: 'Close',
  },
  errors: {
    REACTION_LIMIT: 'This message already has 20 different reactions.',
    EDIT_WINDOW_PASSED: 'This message can no longer be edited.',
    MESSAGE_RECALLED: 'That message was recalled.',
    PIN_LIMIT: 'A chat can have at most 50 pinned messages. Unpin one first.',
  },
};

export const msgopsZhCN: typeof msgopsEn = {
  msgops: {
    react: '回应',
    picker: '选择表情回应',
    reactions: '表情回应',
    chip: '{emoji} {n}',
    chipLabel: '表情回应 {emoji}，{n} 人',
    edit: '编辑',
    edited: '已编辑',
    editing: '正在编辑消息',
    cancelEdit: '取消编辑',
    pin: '置顶',
    unpin: '取消置顶',
    pinnedBar: '置顶消息',
    pinnedOf: '置顶消息 {i}/{n}',
    pinnedOne: '置顶消息',
    pinned: '“{name}”置顶了一条消息',
    unpinned: '“{name}”取消置顶了一条消息',
    youPinned: '你置顶了一条消息',
    youUnpinned: '你取消置顶了一条消息',
    reEdit: '重新编辑',
    close: '关闭',
  },
  errors: {
    REACTION_LIMIT: '这条消息的表情回应已达 20 种。',
    EDIT_WINDOW_PASSED: '这条消息已不能再编辑。',
    MESSAGE_RECALLED: '那条消息已被撤回。',
    PIN_LIMIT: '每个聊天最多置顶 50 条消息，请先取消一条。',
  },
};
