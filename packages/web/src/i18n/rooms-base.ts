/**
 * The listen-together strings the chat needs before any room page loads: the card, the list
 * preview, the header button and the error texts (the room page's own load with it: rooms.ts).
 */
export const roomsBaseEn = {
  chat: { room: '[Listen together]', listenTogether: 'Listen together', openRoom: 'Join' },
  errors: {
    ROOM_CLOSED: 'This listening room has closed.',
    ROOM_NOT_MEMBER: 'Join the room first (only members of the chat can).',
    ROOM_HOST_ONLY: 'Only the host controls this room.',
    ROOM_QUEUE_FULL: 'The queue is full.',
    ROOM_TRACK_UNPLAYABLE: 'Only audio files can be played in a room.',
    ROOM_NO_SUCH_TRACK: 'That track is not in the queue.',
  },
};

export const roomsBaseZhCN: typeof roomsBaseEn = {
  chat: { room: '[一起听]', listenTogether: '一起听', openRoom: '加入' },
  errors: {
    ROOM_CLOSED: '这个一起听房间已关闭。',
    ROOM_NOT_MEMBER: '请先加入房间（只有聊天成员可以加入）。',
    ROOM_HOST_ONLY: '只有房主可以控制这个房间。',
    ROOM_QUEUE_FULL: '播放列表已满。',
    ROOM_TRACK_UNPLAYABLE: '房间里只能播放音频文件。',
    ROOM_NO_SUCH_TRACK: '播放列表里没有这首歌。',
  },
};

/** The base strings with the listen-together ones merged into `chat` and `errors`. */
export function withRoomsBase<T extends { chat: object; errors: object }>(
  base: T,
  rooms: typeof roomsBaseEn,
) {
  return { ...base, chat: { ...base.chat, ...rooms.chat }, errors: { ...base.errors, ...rooms.errors } };
}
