import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const HERE = path.dirname(fileURLToPath(import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

/** Each file's imports of other files of the same folder tree (type imports too). */
function importGraph(dir: string): Map<string, string[]> {
  const files = new Set(sources(dir));
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(f, 'utf8'), true, true);
    graph.set(
      f,
      importedFiles
        .filter((i) => i.fileName.startsWith('.'))
        .map((i) => path.resolve(path.dirname(f), i.fileName.replace(/\.js$/, '.ts')))
        .filter((p) => files.has(p)),
    );
  }
  return graph;
}

/** Every import loop, as the files around it. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const out: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 'open') out.push(stack.slice(stack.indexOf(m)));
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of graph.keys()) if (!state.has(n)) visit(n);
  return out;
}

describe('the message service imports', () => {
  it('finds a loop when there is one', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(cycles(g)).toEqual([['a', 'b', 'c']]);
    expect(cycles(new Map([['a', ['b']]]))).toEqual([]);
  });

  it('have no loop: the store, the service parts and the module form a tree of layers', () => {
    const graph = importGraph(HERE);
    expect(graph.size).toBeGreaterThan(20);
    expect(cycles(graph).map((c) => c.map((f) => path.relative(HERE, f)).join(' -> '))).toEqual([]);
  });
});
