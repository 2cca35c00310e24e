import { describe, expect, it } from 'vitest';
import { decodeSessionEndedNotice, encodeSessionEndedNotice } from './session-ended-notice.js';

describe('session-ended notice', () => {
  it('reads back what it writes, and the JSON of the previous release', () => {
    const ended = { userId: '42', sessionId: 's-1', reason: 'kicked' };
    expect(decodeSessionEndedNotice(encodeSessionEndedNotice(ended))).toEqual(ended);
    const legacy = new TextEncoder().encode(JSON.stringify(ended));
    expect(decodeSessionEndedNotice(legacy)).toEqual(ended);
  });

  it('gives an ended session without a reason the reason "revoked"', () => {
    const bytes = encodeSessionEndedNotice({ userId: '42', sessionId: 's-1', reason: '' });
    expect(decodeSessionEndedNotice(bytes)?.reason).toBe('revoked');
  });

  it('refuses undecodable bytes and notices naming no user or session', () => {
    const good = encodeSessionEndedNotice({ userId: '42', sessionId: 's-1', reason: 'logout' });
    const text = (s: string) => new TextEncoder().encode(s);
    for (const bad of [
      good.subarray(0, good.length - 1),
      new Uint8Array([0xff, 0xff]),
      new Uint8Array(),
      encodeSessionEndedNotice({ userId: '', sessionId: 's-1', reason: 'logout' }),
      text('{"userId":"42"'),
      text('{"userId":42,"sessionId":"s-1"}'),
      text('null'),
    ])
      expect(decodeSessionEndedNotice(bad)).toBeUndefined();
  });
});
