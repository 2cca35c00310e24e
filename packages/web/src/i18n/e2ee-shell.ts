/**
 * The few strings of encrypted chats needed before their page loads (the friend page's button,
 * the chat list's preview); the rest load with the page (e2ee.ts).
 */
export const e2eeShellEn = {
  e2ee: { start: 'Start encrypted chat', preview: '[Encrypted message]' },
};

export const e2eeShellZhCN: typeof e2eeShellEn = {
  e2ee: { start: '发起加密聊天', preview: '[加密消息]' },
};
