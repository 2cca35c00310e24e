/**
 * The calls strings the app needs before the call layer loads (call records in the chat, the
 * calls service's errors), merged into the base strings at start (index.ts).
 */
export const callsBaseEn = {
  chat: {
    callRecord: {
      video: 'Video call',
      voice: 'Voice call',
      done: '{kind} {time}',
      missed: 'Missed {kind}',
      cancelled: '{kind} cancelled',
      noAnswer: '{kind} not answered',
      declined: '{kind} declined',
      busy: '{kind}: busy',
    },
  },
  errors: {
    CALL_BUSY: 'They are in another call. Try again later.',
    CALL_ALREADY_IN_CALL: 'You are already in a call.',
    CALL_ENDED: 'This call has ended.',
    CALL_FULL: 'This call is full.',
    CALL_ANSWERED_ELSEWHERE: 'You answered on another device.',
  },
};

export const callsBaseZhCN: typeof callsBaseEn = {
  chat: {
    callRecord: {
      video: '视频通话',
      voice: '语音通话',
      done: '{kind} 时长 {time}',
      missed: '未接{kind}',
      cancelled: '{kind} 已取消',
      noAnswer: '{kind} 对方无应答',
      declined: '{kind} 已拒绝',
      busy: '{kind} 对方忙线中',
    },
  },
  errors: {
    CALL_BUSY: '对方正在通话中，请稍后再试。',
    CALL_ALREADY_IN_CALL: '你已在通话中。',
    CALL_ENDED: '通话已结束。',
    CALL_FULL: '通话人数已满。',
    CALL_ANSWERED_ELSEWHERE: '已在其他设备接听。',
  },
};
