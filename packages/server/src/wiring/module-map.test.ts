/**
 * The module map tells the truth about who calls whom: every service-to-service call is a
 * declared peer (services get typed clients, never the RPC hub), and the map has no cycle.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkGraph, ModuleGraphError, resolveTargets } from '../kernel/module-graph.js';
import { META_TARGETS, MODULES } from '../modules.js';
import { SERVICE_APIS } from './peers.js';

const SRC = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.includes('.test') ? [p] : [];
  });
}

describe('the module map (modules.ts)', () => {
  it('is the map alone: the wiring lives beside it, and it stays short', () => {
    const map = readFileSync(path.join(SRC, 'modules.ts'), 'utf8');
    // Short: about ten lines an entry (deps, peers, a description, init) and the meta-targets;
    // wiring that creeps in shows as lines beyond that.
    expect(map.split('\n').length).toBeLessThan(40 + 9 * Object.keys(MODULES).length);
    expect(map).not.toMatch(/await import\(/);
  });

  it('splits all into core (the services) and edge (the gateway), as the split topology runs them', () => {
    expect([...META_TARGETS.core!, ...META_TARGETS.edge!].sort()).toEqual([...META_TARGETS.all!].sort());
    expect(META_TARGETS.edge).toEqual(['gateway']);
  });

  it('has no cycle over the dependencies and peers of all modules', () => {
    expect(() => checkGraph(MODULES)).not.toThrow();
  });

  it('has no cycle at all: media calls no peer, and a call back to message would be refused', () => {
    expect(MODULES.media.peers ?? []).toEqual([]);
    // A module map cannot declare a cycle any more: every peer counts as an edge.
    expect(Object.values(MODULES).some((d) => 'cyclicPeers' in d)).toBe(false);
    const declared = { ...MODULES, media: { ...MODULES.media, peers: ['message'] } };
    expect(() => resolveTargets(declared, META_TARGETS, ['media'])).toThrow(ModuleGraphError);
  });

  it('names only service modules as peers, each with typed clients', () => {
    for (const [name, def] of Object.entries(MODULES)) {
      for (const p of def.peers ?? []) {
        expect(MODULES[p as keyof typeof MODULES]?.service, `${name} calls ${p}`).toBe(true);
        expect(Object.keys(SERVICE_APIS), `${name} calls ${p}`).toContain(p);
        expect(def.deps, `${name} needs rpc for its peer clients`).toContain('rpc');
      }
    }
  });

  it('starts the services of `all` after the peers they call', () => {
    const order = resolveTargets(MODULES, META_TARGETS, ['all']);
    for (const [name, def] of Object.entries(MODULES)) {
      for (const p of def.peers ?? [])
        expect(order.indexOf(p), `${p} before ${name}`).toBeLessThan(order.indexOf(name));
    }
  });

  it('no service or gateway file holds the RPC hub or asks it for a client', () => {
    const offenders = ['services', 'gateway'].flatMap((dir) =>
      sources(path.join(SRC, dir)).filter((f) =>
        /RpcHub|rpc-hub\.js|rpc\.client\(|hub\.client\(/.test(readFileSync(f, 'utf8')),
      ),
    );
    expect(offenders.map((f) => path.relative(SRC, f))).toEqual([]);
  });
});
