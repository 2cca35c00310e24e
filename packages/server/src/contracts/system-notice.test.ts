import { describe, expect, it } from 'vitest';
import { decodeSystemNotice, encodeSystemNotice } from './system-notice.js';

describe('the system notice on the bus', () => {
  it('reads back what was written', () => {
    const n = { id: '42', title: 'Maintenance', body: 'tonight', createdAtMs: 1_767_225_600_000 };
    expect(decodeSystemNotice(encodeSystemNotice(n))).toMatchObject(n);
  });

  it('ignores undecodable bytes and a notice without an id', () => {
    expect(decodeSystemNotice(new Uint8Array([0xff, 0xff, 0xff]))).toBeUndefined();
    expect(
      decodeSystemNotice(encodeSystemNotice({ id: '', title: 't', body: '', createdAtMs: 0 })),
    ).toBeUndefined();
  });
});
