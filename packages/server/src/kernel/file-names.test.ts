import { describe, expect, it } from 'vitest';
import { stripUnsafeNameChars } from './file-names.js';

describe('stripUnsafeNameChars', () => {
  it('drops bidi overrides, embeddings, isolates and marks', () => {
    const spoof = 'invoice\u202Efdp.exe';
    expect(stripUnsafeNameChars(spoof)).toBe('invoicefdp.exe');
    expect(
      stripUnsafeNameChars('\u202Aa\u202Bb\u202Cc\u202Dd\u2066e\u2067f\u2068g\u2069h\u200Ei\u200Fj\u061Ck'),
    ).toBe('abcdefghijk');
  });

  it('drops C0, DEL, C1 controls and line separators', () => {
    expect(stripUnsafeNameChars('a\u0000b\nc\td\u007fe\u0085f\u009bg\u2028h\u2029i')).toBe('abcdefghi');
  });

  it('keeps letters of every script, emoji with joiners and ordinary punctuation', () => {
    const kept = '报告 (最终版) — مرحبا 👩‍💻-v2.pdf';
    expect(stripUnsafeNameChars(kept)).toBe(kept);
  });
});
