/** The Settings screen's messages, and those of notifications when MyChat is closed (push). */
export const settings = {
  title: '设置',
  language: '语言',
  theme: '主题',
  themes: { system: '跟随系统', light: '浅色', dark: '深色' },
  hideReadReceipts: '隐藏我的已读回执',
  hideReadReceiptsHint: '对方将看不到你是否已读（你也看不到对方的）。',
  notifications: '桌面通知',
  notificationsHint: 'MyChat 在后台时，收到新消息显示通知。',
  notificationsDenied: '通知已在浏览器设置中被禁止。',
  about: '关于',
  version: '版本 {v}',
};

export const push = {
  title: 'MyChat 关闭时的通知',
  permission: {
    granted: '此浏览器可以显示通知。',
    default: '尚未向此浏览器请求通知权限。',
    denied: '通知已在浏览器设置中被禁止。',
    unsupported: '此浏览器关闭后无法接收通知（iPhone 和 iPad：请先将 MyChat 添加到主屏幕）。',
  },
  serverOff: '此服务器不发送通知。',
  thisDevice: '在此设备上通知我',
  thisDeviceHint: '即使没有打开 MyChat 页面，新消息也会在这里提醒。',
  test: '测试通知',
  testButton: '发送测试',
  testSent: '已发送，稍后就会出现。',
  testFailed: '推送服务未接受。请尝试关闭再打开通知。',
  preview: '显示消息预览',
  previewHint: '关闭时，通知只显示是谁发来的。端到端加密的聊天从不显示内容。',
  dnd: '免打扰',
  dndHint: "群消息会等到结束后再提醒；单聊消息和 {'@'}我 仍会提醒。",
  from: '开始',
  until: '结束',
  timeZone: '时区',
  devices: '会提醒的设备',
  thisOne: '本设备',
  lastOk: '最近送达 {at}',
  neverYet: '尚未送达',
  noDevices: '还没有会提醒的设备。',
};

/** Error texts of the push calls (spread into errors). */
export const pushErrors = {
  PUSH_ENDPOINT_REFUSED: '此浏览器的推送服务无法用于本服务器。',
  PUSH_KEYS_INVALID: '此浏览器提供的订阅信息无效。',
  PUSH_DISABLED: '此服务器不发送通知。',
};
