import { describe, expect, it } from 'vitest';
import { quoteLine, textParts } from './text-parts.js';

describe('text parts of a message', () => {
  it('splits links and @mentions out of plain text, never as HTML', () => {
    expect(textParts('hi @Ann see https://example.com/a?b=1 <b>x</b>')).toEqual([
      { kind: 'text', value: 'hi ' },
      { kind: 'mention', value: '@Ann' },
      { kind: 'text', value: ' see ' },
      { kind: 'link', value: 'https://example.com/a?b=1' },
      { kind: 'text', value: ' <b>x</b>' },
    ]);
    expect(textParts('')).toEqual([]);
  });

  it('words the quoted message: text, media, recalled, not loaded', () => {
    const t = (k: string, a?: Record<string, unknown>) => (a ? `${k}(${String(a.name)})` : k);
    const nameOf = (id: string) => (id === 'a' ? 'Ann' : '');
    const m = (content: object, recalled = false) =>
      ({ senderId: 'a', content, recalled }) as Parameters<typeof quoteLine>[0];
    expect(quoteLine(m({ type: 'text', text: 'hello' }), nameOf, t)).toBe('Ann: hello');
    expect(quoteLine(m({ type: 'image' }), nameOf, t)).toBe('Ann: chat.image');
    expect(quoteLine(m({ type: 'text', text: 'x' }, true), nameOf, t)).toBe('Ann: chat.recalled(Ann)');
    expect(quoteLine(m({ type: 'room' }), nameOf, t)).toBe('Ann: chat.unsupported');
    expect(quoteLine(undefined, nameOf, t)).toBe('…');
  });
});
