import { describe, expect, it } from 'vitest';
import { en } from './en.js';
import { editorEn, editorZhCN } from './editor.js';

function keys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    v && typeof v === 'object' ? keys(v as object, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}
const at = (o: object, path: string) =>
  path.split('.').reduce<unknown>((x, k) => (x as Record<string, unknown>)[k], o) as string;
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('trim, image tools and contact card texts (i18n/editor.ts)', () => {
  it('has the same keys, text and placeholders in both languages', () => {
    expect(keys(editorZhCN).sort()).toEqual(keys(editorEn).sort());
    for (const k of keys(editorEn)) {
      expect(at(editorZhCN, k).trim(), k).not.toBe('');
      expect(placeholders(at(editorZhCN, k)), k).toEqual(placeholders(at(editorEn, k)));
    }
  });

  it('adds its own section without overriding the base files', () => {
    expect(Object.keys(en)).not.toContain('editor');
  });
});
