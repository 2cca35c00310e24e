/**
 * The few records strings the chat needs before its records parts load (the chat list's
 * preview, the message menu); the rest load with those parts (records.ts).
 */
export const recordsShellEn = {
  chatRecord: '[Chat history]',
  select: 'Select',
  deleteForMe: 'Delete',
};

export const recordsShellZhCN: typeof recordsShellEn = {
  chatRecord: '[聊天记录]',
  select: '多选',
  deleteForMe: '删除',
};
