/**
 * Dependency rules enforced in CI (house rules 2 and 6): a service never reaches into
 * another service's files, and server code logs through pino, never `console.*`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

const SRC = path.dirname(fileURLToPath(import.meta.url));
const SERVICES = path.join(SRC, 'services');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : tsFiles(p);
    return e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Blanks out comments, keeping string literals and line numbers intact. */
function stripComments(code: string): string {
  let out = '';
  for (let i = 0; i < code.length; ) {
    const c = code[i]!;
    if (c === '/' && code[i + 1] === '/') {
      while (i < code.length && code[i] !== '\n') i++;
    } else if (c === '/' && code[i + 1] === '*') {
      const end = code.indexOf('*/', i + 2);
      const stop = end < 0 ? code.length : end + 2;
      out += code.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < code.length && code[j] !== c) j += code[j] === '\\' ? 2 : 1;
      out += code.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

export interface ImportRef {
  specifier: string;
  line: number;
}

/** Specifiers of static imports, `export ... from`, side-effect imports, dynamic `import()` and `import x = require()`. */
export function importsOf(code: string): ImportRef[] {
  const text = stripComments(code);
  const patterns = [
    /\bimport\s+(?:type\s+)?[\w*{}\s,$]*?\bfrom\s*(['"])([^'"]+)\1/g,
    /\bexport\s+(?:type\s+)?(?:\*(?:\s+as\s+\w+)?|\{[^}]*\})\s*from\s*(['"])([^'"]+)\1/g,
    /\bimport\s*(['"])([^'"]+)\1/g,
    /\bimport\s*\(\s*(['"`])([^'"`]+)\1/g,
    /\brequire\s*\(\s*(['"])([^'"]+)\1/g,
  ];
  const refs: ImportRef[] = [];
  for (const re of patterns) {
    for (const m of text.matchAll(re)) {
      refs.push({ specifier: m[2]!, line: text.slice(0, m.index).split('\n').length });
    }
  }
  return refs.sort((a, b) => a.line - b.line);
}

/** The service a file belongs to (`services/<name>/...`), if any. */
function serviceOf(file: string): string | undefined {
  const rel = path.relative(SERVICES, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const [first, ...rest] = rel.split(path.sep);
  return rest.length ? first : undefined;
}

/** Cross-service imports: a file in services/<a>/ importing (relatively) from services/<b>/. */
export function crossServiceImports(file: string, code: string): string[] {
  const from = serviceOf(file);
  if (!from) return [];
  return importsOf(code)
    .filter((r) => r.specifier.startsWith('.'))
    .flatMap((r) => {
      const to = serviceOf(path.resolve(path.dirname(file), r.specifier));
      return to !== undefined && to !== from
        ? [`${path.relative(SRC, file)}:${r.line} imports '${r.specifier}' (service ${to})`]
        : [];
    });
}

const isTestFile = (f: string) =>
  /\.test\.ts$|\.test-helpers\.ts$/.test(f) || path.relative(SRC, f).split(path.sep)[0] === 'test';

/** `console.` uses outside comments, as `file:line`. */
export function consoleUses(file: string, code: string): string[] {
  return stripComments(code)
    .split('\n')
    .flatMap((l, i) => (/(^|[^\w$.])console\s*\./.test(l) ? [`${path.relative(SRC, file)}:${i + 1}: ${l.trim()}`] : []));
}

describe('architecture rules', () => {
  const files = tsFiles(SRC);

  it('finds the server sources', () => {
    expect(files.length).toBeGreaterThan(10);
    expect(files).toContain(path.join(SRC, 'modules.ts'));
  });

  it('no service imports from another service', () => {
    const offences = files.flatMap((f) => crossServiceImports(f, readFileSync(f, 'utf8')));
    expect(offences, `services must call each other through clients:\n${offences.join('\n')}`).toEqual([]);
  });

  it('no console.* in server code (use the module logger)', () => {
    const offences = files.filter((f) => !isTestFile(f)).flatMap((f) => consoleUses(f, readFileSync(f, 'utf8')));
    expect(offences, offences.join('\n')).toEqual([]);
  });
});

describe('the rule checkers themselves', () => {
  const authFile = path.join(SERVICES, 'auth', 'auth.service.ts');

  it('find every kind of import specifier with its line', () => {
    const code = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      'import * as c from "./c.js";',
      "import d, { e } from './d.js';",
      "import './side-effect.js';",
      "export { f } from './f.js';",
      "export * from './g.js';",
      "export type { H } from './h.js';",
      "const i = await import('./i.js');",
      'import {',
      '  j,',
      "} from './j.js';",
      "// import { no } from './commented.js';",
      "/* import('./also-commented.js') */",
      "const s = 'not an import from \"./x.js\"';",
    ].join('\n');
    expect(importsOf(code)).toEqual([
      { specifier: './a.js', line: 1 },
      { specifier: '../b.js', line: 2 },
      { specifier: './c.js', line: 3 },
      { specifier: './d.js', line: 4 },
      { specifier: './side-effect.js', line: 5 },
      { specifier: './f.js', line: 6 },
      { specifier: './g.js', line: 7 },
      { specifier: './h.js', line: 8 },
      { specifier: './i.js', line: 9 },
      { specifier: './j.js', line: 10 },
    ]);
  });

  it('flag imports into another service, static, re-exported or dynamic, and nothing else', () => {
    const code = [
      "import { x } from '../message/message.repository.js';",
      "export { y } from '../contacts/contacts.client.js';",
      "const z = await import('../../services/media/media.service.js');",
      "import { own } from './auth.repository.js';",
      "import { kernel } from '../../kernel/errors.js';",
      "import { zod } from 'zod';",
    ].join('\n');
    expect(crossServiceImports(authFile, code)).toEqual([
      "services/auth/auth.service.ts:1 imports '../message/message.repository.js' (service message)",
      "services/auth/auth.service.ts:2 imports '../contacts/contacts.client.js' (service contacts)",
      "services/auth/auth.service.ts:3 imports '../../services/media/media.service.js' (service media)",
    ]);
  });

  it('leave files outside services alone', () => {
    const code = "import { a } from './services/auth/auth.module.js';";
    expect(crossServiceImports(path.join(SRC, 'modules.ts'), code)).toEqual([]);
  });

  it('flag console calls but not comments or look-alikes', () => {
    const code = ["console.log('x');", '// console.log(1)', 'myconsole.log(2);', '  console .error(e);'].join('\n');
    expect(consoleUses(authFile, code)).toEqual([
      "services/auth/auth.service.ts:1: console.log('x');",
      'services/auth/auth.service.ts:4: console .error(e);',
    ]);
  });
});
