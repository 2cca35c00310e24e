/**
 * Strings any screen may meet that came with the operator's console (the login page shows
 * ACCOUNT_DISABLED, the connection banner a sign-out by an operator), beside the base files, which are at their size limit.
 */
export const accountErrorsEn = {
  connection: { disabled: 'An operator disabled this account, so it was signed out.' },
  errors: {
    ACCOUNT_DISABLED: 'This account has been disabled by an operator.',
    ALREADY_REPORTED: 'You already reported this.',
  },
};

export const accountErrorsZhCN: typeof accountErrorsEn = {
  connection: { disabled: '该账号已被管理员封禁，已退出登录。' },
  errors: {
    ACCOUNT_DISABLED: '该账号已被管理员封禁。',
    ALREADY_REPORTED: '你已经举报过了。',
  },
};
