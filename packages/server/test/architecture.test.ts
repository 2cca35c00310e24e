/**
 * Dependency rules enforced in CI (house rules 2 and 6): a service never reaches into
 * another service's files, and server code logs through pino, never `console.*`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');
const SERVICES = path.join(SRC, 'services');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : tsFiles(p);
    return e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

export interface ImportRef {
  specifier: string;
  line: number;
}

/**
 * Module specifiers of static imports, `export ... from`, dynamic `import()`, `import x =
 * require()`, `require()` and `import('...')` types, read with the TypeScript parser so
 * comments and strings that merely look like imports are not counted.
 */
export function importsOf(code: string, fileName = 'file.ts'): ImportRef[] {
  const sf = ts.createSourceFile(fileName, code, ts.ScriptTarget.Latest, false);
  const refs: ImportRef[] = [];
  const add = (node: ts.Node | undefined) => {
    if (node && ts.isStringLiteralLike(node)) {
      refs.push({ specifier: node.text, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1 });
    }
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression);
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
    ) {
      add(node.arguments[0]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return refs.sort((x, y) => x.line - y.line);
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

/** Uses of the global `console` (any member access on it), as `file:line: code`. */
export function consoleUses(file: string, code: string): string[] {
  const sf = ts.createSourceFile(file, code, ts.ScriptTarget.Latest, false);
  const lines = code.split('\n');
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (
      (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'console'
    ) {
      const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      out.push(`${path.relative(SRC, file)}:${line + 1}: ${lines[line]!.trim()}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
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
    const offences = files
      .filter((f) => !isTestFile(f))
      .flatMap((f) => consoleUses(f, readFileSync(f, 'utf8')));
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
      'const s = \'not an import from "./x.js"\';',
      "type K = typeof import('./k.js');",
      "const l = require('./l.js');",
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
      { specifier: './j.js', line: 12 },
      { specifier: './k.js', line: 16 },
      { specifier: './l.js', line: 17 },
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
    const code = [
      "console.log('x');",
      '// console.log(1)',
      'myconsole.log(2);',
      '  console .error(e);',
      "const s = 'console.log(3)';",
      "console['warn']('w');",
    ].join('\n');
    expect(consoleUses(authFile, code)).toEqual([
      "services/auth/auth.service.ts:1: console.log('x');",
      'services/auth/auth.service.ts:4: console .error(e);',
      "services/auth/auth.service.ts:6: console['warn']('w');",
    ]);
  });
});
