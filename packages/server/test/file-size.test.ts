/**
 * House rule 7 in CI: no source file over 400 lines unless it is in the committed allow-list
 * (.ci/file-size-allow-list.txt), and that list may only shrink. Tests and generated code are
 * not counted: a test file reads top to bottom and generated code is not ours to split.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const ALLOW_LIST = '.ci/file-size-allow-list.txt';
const MAX_LINES = 400;
const SOURCE = /\.(ts|vue|js|mjs|css)$/;

/** Lines as `wc -l` and editors count them (a final newline does not start another line). */
export const lineCount = (text: string) =>
  text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);

/** `path lines` per line; `#` starts a comment. Malformed lines are errors, not skipped. */
export function parseAllowList(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const m = /^(\S+)\s+(\d+)$/.exec(line);
    if (!m) throw new Error(`${ALLOW_LIST}:${i + 1}: expected "<path> <max lines>", got "${raw}"`);
    if (out.has(m[1]!)) throw new Error(`${ALLOW_LIST}:${i + 1}: ${m[1]} is listed twice`);
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** Every way the tree and the allow-list disagree, one readable line each. */
export function sizeViolations(
  sizes: ReadonlyMap<string, number>,
  allowed: ReadonlyMap<string, number>,
): string[] {
  const out: string[] = [];
  for (const [file, lines] of sizes) {
    const max = allowed.get(file);
    if (lines <= MAX_LINES) {
      if (max !== undefined) out.push(`${file}: ${lines} lines now; remove it from ${ALLOW_LIST}`);
    } else if (max === undefined) {
      out.push(`${file}: ${lines} lines, over ${MAX_LINES}: split it (the allow-list only shrinks)`);
    } else if (lines > max) {
      out.push(`${file}: ${lines} lines, more than its allowed ${max}: split it instead of growing it`);
    } else if (lines < max) {
      out.push(`${file}: ${lines} lines, below its allowed ${max}: lower its number in ${ALLOW_LIST}`);
    }
  }
  for (const file of allowed.keys())
    if (!sizes.has(file)) out.push(`${file}: listed in ${ALLOW_LIST} but gone`);
  return out;
}

/** The folders of a package that hold code of ours: the product (`src`), tools (`dev`) and test helpers. */
const CODE_DIRS = ['src', 'dev', 'test'];

/**
 * Source files under packages/<name>/{src,dev,test}, minus generated code, build output and
 * tests, with their line counts.
 */
function sourceSizes(): Map<string, number> {
  const sizes = new Map<string, number>();
  const walk = (dir: string) => {
    for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== 'gen' && e.name !== 'dist') walk(rel);
      } else if (
        e.isFile() &&
        SOURCE.test(e.name) &&
        !/\.test\.ts$/.test(e.name) &&
        !e.name.endsWith('.d.ts')
      ) {
        sizes.set(rel, lineCount(readFileSync(path.join(ROOT, rel), 'utf8')));
      }
    }
  };
  for (const pkg of readdirSync(path.join(ROOT, 'packages'), { withFileTypes: true })) {
    if (!pkg.isDirectory()) continue;
    const present = readdirSync(path.join(ROOT, 'packages', pkg.name));
    for (const dir of CODE_DIRS) if (present.includes(dir)) walk(`packages/${pkg.name}/${dir}`);
  }
  return sizes;
}

describe('file size gate', () => {
  it('finds no source file over 400 lines outside the allow-list, and the list is exact', () => {
    const sizes = sourceSizes();
    expect(sizes.size).toBeGreaterThan(100); // the walk found the tree, not an empty folder
    expect(sizeViolations(sizes, parseAllowList(readFileSync(path.join(ROOT, ALLOW_LIST), 'utf8')))).toEqual(
      [],
    );
  });

  it('refuses an unlisted file over 400 lines, a listed file that grew, shrank or went below 400, and a gone one', () => {
    const allowed = parseAllowList('# comment\na.ts 500  # why\nb.ts 450\nc.ts 420\nd.ts 410\n');
    const sizes = new Map([
      ['a.ts', 500], // exactly at its ceiling: fine
      ['b.ts', 451], // grew
      ['c.ts', 400], // split: must leave the list
      ['d.ts', 405], // shrank: its number must follow
      ['e.ts', 401], // new and too long
      ['f.ts', 400], // at the limit: fine
    ]);
    expect(sizeViolations(sizes, allowed).map((v) => v.split(':')[0])).toEqual([
      'b.ts',
      'c.ts',
      'd.ts',
      'e.ts',
    ]);
    expect(sizeViolations(new Map([['a.ts', 500]]), allowed)).toHaveLength(3); // b, c, d gone
  });

  it('counts lines as wc -l does and rejects a malformed or doubled allow-list line', () => {
    expect([lineCount(''), lineCount('x'), lineCount('x\n'), lineCount('x\ny'), lineCount('x\n\n')]).toEqual([
      0, 1, 1, 2, 2,
    ]);
    expect(() => parseAllowList('a.ts\n')).toThrow(/expected/);
    expect(() => parseAllowList('a.ts 12x\n')).toThrow(/expected/);
    expect(() => parseAllowList('a.ts 500\na.ts 500\n')).toThrow(/twice/);
  });
});
