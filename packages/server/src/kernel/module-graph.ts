import type { Logger } from 'pino';

/** What a module's init returns: its value for dependents, and its lifecycle hooks. */
export interface ModuleInstance<T = unknown> {
  value: T;
  /** Begins serving (listening, consuming). Runs after every dependency has started. */
  start?(): Promise<void>;
  /** Stops serving and releases resources. Runs before any dependency stops. */
  stop?(): Promise<void>;
  /** False when the module can no longer do its work (e.g. its database is gone). */
  health?(): Promise<boolean>;
}

/** The context every module's init receives besides its declared dependencies. */
export interface ModuleContext<C> {
  name: string;
  config: C;
  logger: Logger;
}

export interface ModuleDefinition<C> {
  deps: readonly string[];
  /**
   * Service modules this one calls over RPC. One in this process's targets starts before
   * this module (as a dependency would); one outside them is reached over gRPC and is not
   * started here. Peers count in the cycle check like dependencies.
   */
  peers?: readonly string[];
  /** A service module: gets its own log file when log.dir is set. */
  service?: boolean;
  description: string;
  init(deps: Record<string, unknown>, ctx: ModuleContext<C>): Promise<ModuleInstance>;
}

export type ModuleState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export class ModuleGraphError extends Error {
  override readonly name = 'ModuleGraphError';
}

/** What the graph functions read of a definition. */
export type GraphNode = Pick<ModuleDefinition<unknown>, 'deps' | 'peers'>;

/**
 * Depth-first walk over `edges`, calling `done` for each module after everything it points
 * to; throws on an unknown name or a cycle (the message names the whole loop).
 */
function walker(
  definitions: Record<string, GraphNode>,
  edges: (def: GraphNode) => readonly string[],
  done: (name: string) => void,
): (name: string, chain: string[]) => void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, chain: string[]) => {
    const def = definitions[name];
    if (!def) {
      const via = chain.length ? ` (required by ${chain[chain.length - 1]})` : '';
      throw new ModuleGraphError(`unknown module or target "${name}"${via}`);
    }
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...chain.slice(chain.indexOf(name)), name].join(' -> ');
      throw new ModuleGraphError(`module dependency cycle: ${cycle}`);
    }
    state.set(name, 'visiting');
    for (const next of edges(def)) visit(next, [...chain, name]);
    state.set(name, 'done');
    done(name);
  };
  return visit;
}

/**
 * Refuses a cycle over dependencies and peers of every definition, whatever a process runs:
 * a split deployment must not be able to hide a loop that one process would reveal.
 */
export function checkGraph(definitions: Record<string, GraphNode>): void {
  const visit = walker(
    definitions,
    (d) => [...d.deps, ...(d.peers ?? [])],
    () => undefined,
  );
  for (const name of Object.keys(definitions)) visit(name, []);
}

/**
 * Expands targets (module names and meta-targets) into the modules to run, dependencies
 * included, ordered so that each module comes after everything it depends on and after its
 * peers that run in this process too. Peers outside the targets are not added: they are
 * reached over RPC.
 */
export function resolveTargets(
  definitions: Record<string, GraphNode>,
  metaTargets: Record<string, readonly string[]>,
  targets: readonly string[],
): string[] {
  checkGraph(definitions);
  if (targets.length === 0) throw new ModuleGraphError('no target given');
  const expand = (fn: (name: string, chain: string[]) => void) => {
    for (const t of targets) {
      const members = metaTargets[t];
      if (members) for (const m of members) fn(m, [t]);
      else fn(t, []);
    }
  };
  const running = new Set<string>();
  expand(
    walker(
      definitions,
      (d) => d.deps,
      (name) => running.add(name),
    ),
  );
  const order: string[] = [];
  const localPeers = (d: GraphNode) => [...d.deps, ...(d.peers ?? []).filter((p) => running.has(p))];
  expand(walker(definitions, localPeers, (name) => order.push(name)));
  return order;
}

/**
 * Runs a resolved set of modules: init and start in dependency order, stop in reverse.
 * A module that fails to init or start stops everything already started and rethrows.
 */
export class ModuleRunner<C> {
  private readonly instances = new Map<string, ModuleInstance>();
  private readonly states = new Map<string, ModuleState>();
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly definitions: Record<string, ModuleDefinition<C>>,
    readonly order: readonly string[],
    private readonly context: (name: string, def: ModuleDefinition<C>) => ModuleContext<C>,
    private readonly logger: Logger,
  ) {
    for (const name of order) this.states.set(name, 'new');
  }

  /** The value a started module exposes (tests and the CLI use this). */
  value<T>(name: string): T {
    const inst = this.instances.get(name);
    if (!inst) throw new ModuleGraphError(`module "${name}" is not running in this process`);
    return inst.value as T;
  }

  status(): Record<string, ModuleState> {
    return Object.fromEntries(this.states);
  }

  /** Modules that are not running (empty when the process is ready). */
  notRunning(): string[] {
    return this.order.filter((n) => this.states.get(n) !== 'running');
  }

  async start(): Promise<void> {
    try {
      for (const name of this.order) {
        const def = this.definitions[name]!;
        const deps: Record<string, unknown> = {};
        for (const d of def.deps) deps[d] = this.instances.get(d)!.value;
        this.states.set(name, 'starting');
        const inst = await def.init(deps, this.context(name, def));
        this.instances.set(name, inst);
        await inst.start?.();
        this.states.set(name, 'running');
        this.logger.debug({ target_module: name }, 'module running');
      }
    } catch (err) {
      const failed = this.order.find((n) => this.states.get(n) === 'starting');
      if (failed) this.states.set(failed, 'failed');
      this.logger.error({ err, target_module: failed }, 'module failed to start');
      await this.stop();
      throw err;
    }
  }

  /** Stops every started module in reverse order; safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const name of [...this.order].reverse()) {
        const inst = this.instances.get(name);
        const st = this.states.get(name);
        if (!inst || (st !== 'running' && st !== 'failed' && st !== 'starting')) continue;
        this.states.set(name, 'stopping');
        try {
          await inst.stop?.();
        } catch (err) {
          this.logger.error({ err, target_module: name }, 'module failed to stop cleanly');
        }
        this.states.set(name, 'stopped');
      }
    })();
    return this.stopping;
  }

  /** Health of every running module; a module without a health check is healthy while running. */
  async health(): Promise<Record<string, boolean>> {
    const out: Record<string, boolean> = {};
    for (const name of this.order) {
      const inst = this.instances.get(name);
      if (this.states.get(name) !== 'running' || !inst) {
        out[name] = false;
        continue;
      }
      try {
        out[name] = (await inst.health?.()) ?? true;
      } catch {
        out[name] = false;
      }
    }
    return out;
  }
}
