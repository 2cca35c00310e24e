/** The Settings screen's messages, and those of notifications when MyChat is closed (push). */
export const settings = {
  title: 'Settings',
  language: 'Language',
  theme: 'Theme',
  themes: { system: 'Same as system', light: 'Light', dark: 'Dark' },
  hideReadReceipts: 'Hide my read receipts',
  hideReadReceiptsHint:
    'Others will not see when you have read their messages (and you will not see theirs).',
  notifications: 'Desktop notifications',
  notificationsHint: 'Show a notification for new messages while MyChat is in the background.',
  notificationsDenied: 'Notifications are blocked in this browser’s settings.',
  about: 'About',
  version: 'Version {v}',
};

export const push = {
  title: 'Notifications when MyChat is closed',
  permission: {
    granted: 'This browser may show notifications.',
    default: 'This browser has not been asked yet.',
    denied: 'Notifications are blocked in this browser’s settings.',
    unsupported:
      'This browser cannot receive notifications while closed (on iPhone and iPad: add MyChat to the Home Screen first).',
  },
  serverOff: 'This server does not send notifications.',
  thisDevice: 'Notify this device',
  thisDeviceHint: 'New messages ring here even when no MyChat tab is open.',
  test: 'Test notification',
  testButton: 'Send a test',
  testSent: 'Sent. It should appear in a moment.',
  testFailed: 'The push service did not take it. Try turning notifications off and on.',
  preview: 'Show message preview',
  previewHint: 'Off: notifications only say who wrote. Never for end-to-end encrypted chats.',
  dnd: 'Do not disturb',
  dndHint: "Group messages wait until the end; direct messages and {'@'}mentions still ring.",
  from: 'From',
  until: 'Until',
  timeZone: 'Time zone',
  devices: 'Devices that ring',
  thisOne: 'this device',
  lastOk: 'last delivered {at}',
  neverYet: 'nothing delivered yet',
  noDevices: 'No device rings yet.',
};

/** Error texts of the push calls (spread into errors). */
export const pushErrors = {
  PUSH_ENDPOINT_REFUSED: 'This browser’s push service cannot be used with this server.',
  PUSH_KEYS_INVALID: 'This browser sent a subscription the server cannot use.',
  PUSH_DISABLED: 'This server does not send notifications.',
};
