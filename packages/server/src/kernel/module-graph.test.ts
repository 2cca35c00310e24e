import { pino } from 'pino';
import { describe, expect, it } from 'vitest';

import {
  ModuleGraphError,
  ModuleRunner,
  checkGraph,
  resolveTargets,
  type ModuleDefinition,
  type ModuleInstance,
} from './module-graph.js';

const deps = (map: Record<string, string[]>) =>
  Object.fromEntries(Object.entries(map).map(([name, d]) => [name, { deps: d }]));

/** Asserts that every module comes after all of its dependencies. */
function expectDependencyOrder(order: string[], graph: Record<string, { deps: readonly string[] }>) {
  for (const [i, name] of order.entries()) {
    for (const d of graph[name]!.deps) {
      expect(order.indexOf(d), `${d} must come before ${name}`).toBeGreaterThanOrEqual(0);
      expect(order.indexOf(d), `${d} must come before ${name}`).toBeLessThan(i);
    }
  }
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('resolveTargets', () => {
  const graph = deps({
    config: [],
    sql: ['config'],
    kv: ['config'],
    bus: ['config'],
    http: ['config'],
    auth: ['sql', 'kv', 'bus'],
    message: ['sql', 'bus', 'auth'],
    gateway: ['http', 'kv', 'auth'],
  });
  const metas = { all: ['gateway', 'message'], edge: ['gateway'] };

  it('puts every dependency before the module that needs it', () => {
    const order = resolveTargets(graph, metas, ['message']);
    expect(new Set(order)).toEqual(new Set(['config', 'sql', 'kv', 'bus', 'auth', 'message']));
    expectDependencyOrder(order, graph);
    expect(order.at(-1)).toBe('message');
  });

  it('runs only what the targets need', () => {
    expect(resolveTargets(graph, metas, ['sql'])).toEqual(['config', 'sql']);
    expect(resolveTargets(graph, metas, ['config'])).toEqual(['config']);
  });

  it('expands a meta-target into its members and their dependencies', () => {
    const order = resolveTargets(graph, metas, ['all']);
    expect(new Set(order)).toEqual(new Set(Object.keys(graph)));
    expect(order).not.toContain('all');
    expectDependencyOrder(order, graph);
  });

  it('lists a dependency shared by several modules and targets once', () => {
    const order = resolveTargets(graph, metas, ['gateway', 'message', 'edge', 'auth', 'gateway']);
    expect(order.length).toBe(new Set(order).size);
    expect(order.filter((n) => n === 'config')).toEqual(['config']);
    expect(order.filter((n) => n === 'auth')).toEqual(['auth']);
    expectDependencyOrder(order, graph);
  });

  it('mixes meta-targets and module names', () => {
    const order = resolveTargets(graph, metas, ['edge', 'message']);
    expect(new Set(order)).toEqual(new Set(Object.keys(graph)));
    expectDependencyOrder(order, graph);
  });

  it('rejects an unknown target, naming it', () => {
    const err = thrown(() => resolveTargets(graph, metas, ['gatway']));
    expect(err).toBeInstanceOf(ModuleGraphError);
    expect(err.message).toContain('"gatway"');
  });

  it('rejects an unknown dependency, naming it and the module that requires it', () => {
    const broken = deps({ a: [], b: ['a', 'ghost'] });
    const err = thrown(() => resolveTargets(broken, {}, ['b']));
    expect(err).toBeInstanceOf(ModuleGraphError);
    expect(err.message).toContain('"ghost"');
    expect(err.message).toContain('required by b');
  });

  it('rejects an unknown member of a meta-target, naming the meta-target', () => {
    const err = thrown(() => resolveTargets(graph, { core: ['auth', 'media'] }, ['core']));
    expect(err).toBeInstanceOf(ModuleGraphError);
    expect(err.message).toContain('"media"');
    expect(err.message).toContain('required by core');
  });

  it('rejects a dependency cycle, naming the modules in it in order', () => {
    const cyclic = deps({ root: [], a: ['root', 'b'], b: ['c'], c: ['a'], top: ['a'] });
    const err = thrown(() => resolveTargets(cyclic, {}, ['top']));
    expect(err).toBeInstanceOf(ModuleGraphError);
    expect(err.message).toContain('a -> b -> c -> a');
    expect(err.message).not.toContain('top');
  });

  it('rejects a module that depends on itself', () => {
    const err = thrown(() => resolveTargets(deps({ a: ['a'] }), {}, ['a']));
    expect(err).toBeInstanceOf(ModuleGraphError);
    expect(err.message).toContain('a -> a');
  });

  it('rejects an empty target list', () => {
    const err = thrown(() => resolveTargets(graph, metas, []));
    expect(err).toBeInstanceOf(ModuleGraphError);
    expect(err.message).toMatch(/no target/);
  });
});

describe('resolveTargets with peers (services that call services)', () => {
  const graph = {
    sql: { deps: [] },
    rpc: { deps: [] },
    auth: { deps: ['sql', 'rpc'] },
    media: { deps: ['sql', 'rpc'] },
    message: { deps: ['sql', 'rpc'], peers: ['media'] },
    contacts: { deps: ['sql', 'rpc'], peers: ['auth', 'message'] },
    gateway: { deps: ['rpc'], peers: ['auth', 'contacts', 'message', 'media'] },
  };

  it('starts a peer that runs in this process before the module that calls it', () => {
    // Listed callers first: without the peer edges this order would start them first.
    const order = resolveTargets(graph, { all: ['gateway', 'contacts', 'message', 'auth', 'media'] }, [
      'all',
    ]);
    for (const [name, def] of Object.entries(graph)) {
      for (const p of 'peers' in def ? def.peers : []) {
        expect(order.indexOf(p), `${p} must start before ${name}`).toBeLessThan(order.indexOf(name));
      }
    }
  });

  it('does not start a peer outside the targets (it is reached over RPC)', () => {
    expect(resolveTargets(graph, {}, ['contacts'])).toEqual(['sql', 'rpc', 'contacts']);
    expect(resolveTargets(graph, {}, ['gateway'])).toEqual(['rpc', 'gateway']);
  });

  it('refuses a cycle through peers even when the process runs only one side of it', () => {
    const cyclic = { ...graph, media: { deps: ['sql', 'rpc'], peers: ['message'] } };
    const err = thrown(() => resolveTargets(cyclic, {}, ['media']));
    expect(err).toBeInstanceOf(ModuleGraphError);
    expect(err.message).toMatch(/media -> message -> media|message -> media -> message/);
  });

  it('refuses a cycle mixing a dependency and a peer', () => {
    const err = thrown(() => checkGraph({ a: { deps: ['b'] }, b: { deps: [], peers: ['a'] } }));
    expect(err).toBeInstanceOf(ModuleGraphError);
    expect(err.message).toContain('a -> b -> a');
  });

  it('refuses a peer that is not a module, naming the caller', () => {
    const err = thrown(() => checkGraph({ a: { deps: [], peers: ['ghost'] } }));
    expect(err.message).toContain('"ghost" (required by a)');
  });
});

describe('ModuleRunner', () => {
  const logger = pino({ level: 'silent' });

  interface Fake {
    deps?: string[];
    failInit?: boolean;
    failStart?: boolean;
    failStop?: boolean;
    noStop?: boolean;
    healthy?: () => boolean;
  }

  /** Builds definitions whose lifecycle calls land in `events`, in the order they happen. */
  function build(spec: Record<string, Fake>) {
    const events: string[] = [];
    const received: Record<string, Record<string, unknown>> = {};
    const definitions: Record<string, ModuleDefinition<{ n: number }>> = {};
    for (const [name, f] of Object.entries(spec)) {
      definitions[name] = {
        deps: f.deps ?? [],
        description: name,
        async init(d, ctx) {
          events.push(`init ${name}`);
          received[name] = d;
          expect(ctx.name).toBe(name);
          expect(ctx.config).toEqual({ n: 1 });
          if (f.failInit) throw new Error(`${name} init failed`);
          const inst: ModuleInstance = {
            value: `value of ${name}`,
            async start() {
              events.push(`start ${name}`);
              if (f.failStart) throw new Error(`${name} start failed`);
            },
          };
          if (!f.noStop) {
            inst.stop = async () => {
              events.push(`stop ${name}`);
              if (f.failStop) throw new Error(`${name} stop failed`);
            };
          }
          if (f.healthy) {
            const h = f.healthy;
            inst.health = async () => h();
          }
          return inst;
        },
      };
    }
    const order = resolveTargets(definitions, {}, Object.keys(spec));
    const runner = new ModuleRunner(
      definitions,
      order,
      (name) => ({ name, config: { n: 1 }, logger }),
      logger,
    );
    return { runner, events, received, order };
  }

  const chain = { a: {}, b: { deps: ['a'] }, c: { deps: ['b'] } } satisfies Record<string, Fake>;

  it('inits and starts each module after its dependencies, passing their values', async () => {
    const { runner, events, received } = build({ ...chain, d: { deps: ['a', 'c'] } });
    await runner.start();
    expect(events).toEqual([
      'init a',
      'start a',
      'init b',
      'start b',
      'init c',
      'start c',
      'init d',
      'start d',
    ]);
    expect(received.a).toEqual({});
    expect(received.b).toEqual({ a: 'value of a' });
    expect(received.d).toEqual({ a: 'value of a', c: 'value of c' });
    expect(runner.status()).toEqual({ a: 'running', b: 'running', c: 'running', d: 'running' });
  });

  it('stops in reverse order', async () => {
    const { runner, events } = build(chain);
    await runner.start();
    events.length = 0;
    await runner.stop();
    expect(events).toEqual(['stop c', 'stop b', 'stop a']);
    expect(runner.status()).toEqual({ a: 'stopped', b: 'stopped', c: 'stopped' });
  });

  it('on a failing init, stops what already started (in reverse) and rethrows', async () => {
    const { runner, events } = build({
      a: {},
      a2: { deps: ['a'] },
      b: { deps: ['a2'], failInit: true },
      c: { deps: ['b'] },
    });
    await expect(runner.start()).rejects.toThrow('b init failed');
    // b never got an instance, so nothing of it is stopped; c never began.
    expect(events).toEqual(['init a', 'start a', 'init a2', 'start a2', 'init b', 'stop a2', 'stop a']);
    expect(runner.status().b).toBe('failed');
    expect(runner.status().c).toBe('new');
    expect(runner.notRunning()).toEqual(['a', 'a2', 'b', 'c']);
  });

  it('on a failing start, stops it and everything started before it, in reverse, and rethrows', async () => {
    const { runner, events } = build({ ...chain, c: { deps: ['b'], failStart: true }, d: { deps: ['c'] } });
    await expect(runner.start()).rejects.toThrow('c start failed');
    expect(events).toEqual([
      'init a',
      'start a',
      'init b',
      'start b',
      'init c',
      'start c',
      'stop c',
      'stop b',
      'stop a',
    ]);
    expect(runner.status().d).toBe('new');
    expect(runner.notRunning()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('keeps stopping the rest when one module fails to stop', async () => {
    const { runner, events } = build({ ...chain, b: { deps: ['a'], failStop: true } });
    await runner.start();
    events.length = 0;
    await runner.stop();
    expect(events).toEqual(['stop c', 'stop b', 'stop a']);
    expect(runner.status()).toEqual({ a: 'stopped', b: 'stopped', c: 'stopped' });
  });

  it('stops each module once however often stop is called', async () => {
    const { runner, events } = build({ ...chain, x: { noStop: true } });
    await runner.start();
    events.length = 0;
    await Promise.all([runner.stop(), runner.stop()]);
    await runner.stop();
    expect(events).toEqual(['stop c', 'stop b', 'stop a']);
  });

  it('stop before start does nothing', async () => {
    const { runner, events } = build(chain);
    await runner.stop();
    expect(events).toEqual([]);
  });

  it('notRunning lists every module until it runs, and all of them again after stop', async () => {
    const { runner, order } = build(chain);
    expect(runner.notRunning()).toEqual(order);
    await runner.start();
    expect(runner.notRunning()).toEqual([]);
    await runner.stop();
    expect(runner.notRunning()).toEqual(order);
  });

  it('health: false when not running or failing or throwing, true without a check', async () => {
    let bOk = true;
    const { runner } = build({
      a: {},
      b: { deps: ['a'], healthy: () => bOk },
      c: {
        healthy: () => {
          throw new Error('boom');
        },
      },
    });
    expect(await runner.health()).toEqual({ a: false, b: false, c: false });
    await runner.start();
    expect(await runner.health()).toEqual({ a: true, b: true, c: false });
    bOk = false;
    expect(await runner.health()).toEqual({ a: true, b: false, c: false });
    await runner.stop();
    expect(await runner.health()).toEqual({ a: false, b: false, c: false });
  });

  it('value() returns a started module value and names a module that is not running', async () => {
    const { runner } = build(chain);
    expect(() => runner.value('a')).toThrow(ModuleGraphError);
    await runner.start();
    expect(runner.value<string>('b')).toBe('value of b');
    expect(() => runner.value('zzz')).toThrow(/"zzz"/);
  });
});
