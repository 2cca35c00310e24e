/** The calls service's error texts (in the base strings: a call can be refused anywhere). */
export const callErrorsEn = {
  CALL_BUSY: 'They are in another call. Try again later.',
  CALL_ALREADY_IN_CALL: 'You are already in a call.',
  CALL_ENDED: 'This call has ended.',
  CALL_FULL: 'This call is full.',
  CALL_ANSWERED_ELSEWHERE: 'You answered on another device.',
};

export const callErrorsZhCN: typeof callErrorsEn = {
  CALL_BUSY: '对方正在通话中，请稍后再试。',
  CALL_ALREADY_IN_CALL: '你已在通话中。',
  CALL_ENDED: '通话已结束。',
  CALL_FULL: '通话人数已满。',
  CALL_ANSWERED_ELSEWHERE: '已在其他设备接听。',
};
