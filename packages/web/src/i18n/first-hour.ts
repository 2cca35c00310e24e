import { i18n } from './index.js';

/**
 * Strings of the first-hour fixes (issue 24) that live on lazily loaded screens: why a session
 * ended, told on the login page. Merged by the screens that show them (see useSessionEndedText).
 */
export const firstHourEn = {
  ended: {
    kicked: 'You signed in on another device, so this one was signed out.',
    revoked: 'This device was signed out from another device.',
    logout: 'You signed out.',
    'password-changed': 'Your password was changed, so this device was signed out.',
    'password-reset': 'Your password was reset, so this device was signed out.',
    disabled: 'An operator disabled this account.',
    other: 'Your session ended. Please log in again.',
  },
  drive: {
    split: 'My files: {drive} · sent in chats and moments: {other}',
  },
};

export const firstHourZhCN: typeof firstHourEn = {
  ended: {
    kicked: '你的账号已在其他设备登录，此设备已退出。',
    revoked: '此设备已在其他设备上被退出登录。',
    logout: '你已退出登录。',
    'password-changed': '你的密码已修改，此设备已退出登录。',
    'password-reset': '你的密码已重置，此设备已退出登录。',
    disabled: '此账号已被管理员停用。',
    other: '登录已失效，请重新登录。',
  },
  drive: {
    split: '我的文件：{drive} · 聊天和朋友圈中发送的：{other}',
  },
};

let merged = false;
/** Adds these strings once (the module is only in the chunks of the screens that import it). */
export function useFirstHourMessages(): void {
  if (merged) return;
  merged = true;
  i18n.global.mergeLocaleMessage('en', { firstHour: firstHourEn });
  i18n.global.mergeLocaleMessage('zh-CN', { firstHour: firstHourZhCN });
}

/** The sentence for a SessionEnded reason ("kicked", "revoked", ...), any unknown one generic. */
export function sessionEndedText(reason: string): string {
  useFirstHourMessages();
  const key = reason in firstHourEn.ended ? reason : 'other';
  return i18n.global.t(`firstHour.ended.${key}`);
}
