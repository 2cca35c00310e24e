#!/usr/bin/env node
/**
 * The `mychat` command: serve, migrate, modules, config print.
 * Run `mychat help` for usage.
 */
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { createApp, resolveModules } from './app.js';
import { configSchema } from './config.schema.js';
import { ConfigError, configKeys, loadConfig, printConfig } from './kernel/config.js';
import { ModuleGraphError } from './kernel/module-graph.js';
import { HEAP_GROWING_FLAG } from './kernel/node-flags.js';
import { META_TARGETS, MODULES, type ModuleName } from './modules.js';

const USAGE = `mychat <command> [options]

Commands:
  serve [--target=all] [--workers=auto|N]
                           run the given modules (comma-separated names or meta-targets);
                           --workers: processes for the socket work (server.workers)
  migrate                  bring every service's tables up to date, then exit
  modules                  list modules, their dependencies and the meta-targets
  config print             print the resolved config (secrets masked)
  config keys              list every config key with its environment variable
  bench-seed --out=<file> [--users=1000] [--group-size=0] [--pairs=false] [--tag=<a-z0-9->]
                           benchmarks only (needs bench.seed=true): create accounts, friend
                           pairs and one group without sign-up; write their access tokens to <file>

Options:
  --config=<file>          YAML config file (default ./mychat.yaml when present)
  --<key>=<value>          set any config key by its dotted path, e.g. --http.port=9000
`;

const SEED_OPTIONS = ['users', 'group-size', 'tag', 'out', 'pairs'];

function out(s: string) {
  process.stdout.write(s.endsWith('\n') ? s : s + '\n');
}

function parse(argv: string[]) {
  const { values, positionals, tokens } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const flags: Record<string, string> = {};
  const seed: Record<string, string> = {};
  for (const t of tokens ?? []) {
    if (t.kind !== 'option' || t.name === 'target' || t.name === 'config' || t.name === 'help') continue;
    if (t.value === undefined) throw new ConfigError(`--${t.name} needs a value: --${t.name}=<value>`);
    // bench-seed's own options are not config keys.
    if (positionals[0] === 'bench-seed' && SEED_OPTIONS.includes(t.name)) seed[t.name] = t.value;
    else flags[t.name === 'workers' ? 'server.workers' : t.name] = t.value;
  }
  return {
    command: positionals,
    seed,
    target: typeof values.target === 'string' ? values.target : 'all',
    configFile: typeof values.config === 'string' ? values.config : undefined,
    help: values.help === true,
    flags,
  };
}

async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  const [cmd, sub] = args.command;
  const sources = { file: args.configFile, env: process.env, flags: args.flags };
  if (!cmd || cmd === 'help' || args.help) {
    out(USAGE);
    return cmd || args.help ? 0 : 1;
  }
  if (cmd === 'modules') {
    for (const [name, def] of Object.entries(MODULES)) {
      out(`${name.padEnd(12)} ${def.deps.length ? 'needs ' + def.deps.join(', ') : '(no dependencies)'}`);
      // Who calls whom: the services this one reaches over RPC (local or remote).
      if (def.peers?.length) out(`${''.padEnd(13)}calls ${def.peers.join(', ')}`);
      out(`${''.padEnd(13)}${def.description}`);
    }
    out('\nmeta-targets:');
    for (const [name, list] of Object.entries(META_TARGETS))
      out(`${name.padEnd(12)} ${list.join(', ')} -> ${resolveModules([name]).join(', ')}`);
    return 0;
  }
  if (cmd === 'config' && sub === 'print') {
    out(printConfig(loadConfig(configSchema, sources)));
    return 0;
  }
  if (cmd === 'config' && sub === 'keys') {
    for (const k of configKeys(configSchema)) out(`${k.path.join('.').padEnd(36)} ${k.env}`);
    return 0;
  }
  if (cmd === 'migrate') {
    // Initialising a service module migrates its tables; nothing is served.
    const services = (Object.keys(MODULES) as ModuleName[]).filter(
      (n) => MODULES[n].service && n !== 'gateway',
    );
    const migrator = createApp({
      targets: services,
      config: { ...sources, flags: { ...args.flags, 'http.port': '0', 'rpc.port': '0' } },
    });
    await migrator.start();
    await migrator.stop();
    out(`migrated: ${services.join(', ')}`);
    return 0;
  }
  if (cmd === 'bench-seed') {
    const { benchSeed, assertSeedAllowed, validatePlan } = await import('./bench/bench-seed.js');
    const plan = {
      users: Number(args.seed.users ?? 1000),
      groupSize: Number(args.seed['group-size'] ?? 0),
      tag: args.seed.tag ?? Date.now().toString(36),
      pairs: args.seed.pairs !== 'false',
    };
    const file = args.seed.out;
    if (!file) throw new ConfigError('bench-seed needs --out=<file> for the tokens');
    const app = createApp({
      targets: ['auth', 'contacts', 'message'],
      config: { ...sources, flags: { ...args.flags, 'http.port': '0', 'rpc.port': '0' } },
    });
    assertSeedAllowed(app);
    validatePlan(plan);
    await app.start();
    try {
      const started = performance.now();
      const seeded = await benchSeed(app, plan);
      const fs = await import('node:fs');
      fs.writeFileSync(file, JSON.stringify(seeded), { mode: 0o600 });
      out(
        `seeded ${seeded.users.length} users, ${seeded.pairs.length} friend pairs` +
          `${seeded.group ? `, a group of ${seeded.group.members}` : ''} in ` +
          `${((performance.now() - started) / 1000).toFixed(1)} s; tokens in ${file}`,
      );
    } finally {
      await app.stop();
    }
    return 0;
  }
  if (cmd === 'serve') {
    v8.setFlagsFromString(HEAP_GROWING_FLAG);
    const targets = args.target
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    // --workers=N: a primary and N socket workers (workers/serve-workers.ts).
    const split = (await import('./workers/serve-workers.js')).splitServe(targets, sources);
    if (split) return split();
    const app = createApp({ targets, config: sources });
    const log = app.loggers.root;
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      app.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    await app.start();
    log.info({ modules: app.runner.order }, 'mychat is running');
    return -1; // keep running
  }
  out(`unknown command: ${args.command.join(' ')}\n\n${USAGE}`);
  return 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof ModuleGraphError) {
      process.stderr.write(`mychat: ${err.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`mychat: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
