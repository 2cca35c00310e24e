/**
 * Protocol numbers come from the generated enum (review section 9.4): the WebSocket close
 * codes the contract names (gateway.proto CloseCode) never appear as number literals in the
 * server, SDK, bench or web code, and no close code at all is written as a bare number where
 * a socket is closed or a close code is set or compared. A renumbered or renamed code then
 * moves every user with it, and a reader sees KICKED, not 4409.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { gateway } from '@mychat/protocol';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PACKAGES = ['server', 'sdk', 'bench', 'web'];

/** The close codes the contract names, read from the generated enum (0 is UNSPECIFIED). */
const NAMED = new Set(
  Object.values(gateway.CloseCode).filter((v): v is number => typeof v === 'number' && v !== 0),
);

const isCloseCodeRange = (n: number) => n >= 1000 && n <= 4999;

/** Where a number literal sits once parentheses and `a ? b : c` branches are looked through. */
function usingParent(node: ts.Node): ts.Node {
  let p = node.parent;
  while (p && (ts.isParenthesizedExpression(p) || ts.isConditionalExpression(p))) p = p.parent;
  return p;
}

const nameOf = (e: ts.Expression) =>
  ts.isPropertyAccessExpression(e) ? e.name.text : ts.isIdentifier(e) ? e.text : undefined;

/** Each offending literal as `line: text`, for a readable failure. */
export function closeCodeLiterals(code: string, fileName = 'file.ts'): string[] {
  const sf = ts.createSourceFile(fileName, code, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isNumericLiteral(node)) {
      const n = Number(node.text);
      const p = usingParent(node);
      let bad = NAMED.has(n);
      if (!bad && isCloseCodeRange(n)) {
        if (ts.isCallExpression(p) && ['close', 'terminate'].includes(nameOf(p.expression) ?? '')) bad = true;
        if (ts.isBinaryExpression(p)) {
          const other = node.pos >= p.right.pos ? p.left : p.right;
          const op = p.operatorToken.kind;
          const assigns = op >= ts.SyntaxKind.FirstAssignment && op <= ts.SyntaxKind.LastAssignment;
          const compares = [
            ts.SyntaxKind.EqualsEqualsEqualsToken,
            ts.SyntaxKind.ExclamationEqualsEqualsToken,
          ].includes(op);
          if (assigns && /closeCode$/i.test(nameOf(p.left) ?? '')) bad = true;
          if (compares && ['code', 'closeCode'].includes(nameOf(other) ?? '')) bad = true;
        }
      }
      if (bad) {
        const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
        out.push(`${line + 1}: ${node.parent.getText(sf).split('\n')[0]}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'gen' ? [] : sourceFiles(p);
    return e.isFile() && /\.ts$/.test(e.name) && !/\.(test|d)\.ts$/.test(e.name) ? [p] : [];
  });
}

describe('close codes are named, not written as numbers', () => {
  it('the generated enum names the codes the gateway sends', () => {
    expect(NAMED.has(gateway.CloseCode.KICKED)).toBe(true);
    expect(NAMED.size).toBeGreaterThanOrEqual(8);
  });

  it('no server, SDK, bench or web source writes a close code as a literal', () => {
    const found: string[] = [];
    for (const pkg of PACKAGES) {
      for (const file of sourceFiles(path.join(ROOT, 'packages', pkg, 'src'))) {
        for (const hit of closeCodeLiterals(readFileSync(file, 'utf8'), file)) {
          found.push(`${path.relative(ROOT, file)}:${hit}`);
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('flags named codes anywhere and bare codes at a close, a closeCode or a .code comparison', () => {
    const k = String(gateway.CloseCode.KICKED);
    const src = [
      `const A = ${k};`,
      `ws.close(1000);`,
      `this.terminate(4000, 'x');`,
      `conn.closeCode ??= ok ? WsClose.X : 1002;`,
      `if (err.code === 1011) stop();`,
      `if (3999 !== e.closeCode) stop();`,
      // Not close codes: a timeout, a status outside the range, a named constant.
      `setTimeout(f, 1000);`,
      `if (err.code === 14) retry();`,
      `ws.close(WsClose.NORMAL);`,
    ].join('\n');
    expect(closeCodeLiterals(src).map((h) => Number(h.split(':')[0]))).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
