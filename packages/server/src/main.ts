#!/usr/bin/env node
/**
 * The `mychat` command: parses the command line and hands it to one of `commands/`.
 * Run `mychat help` for usage.
 */
import { parseArgs } from 'node:util';
import type { CommandContext } from './commands/command.js';
import { configKeysCommand, configPrintCommand } from './commands/config.js';
import { migrateCommand } from './commands/migrate.js';
import { modulesCommand } from './commands/modules.js';
import { serveCommand } from './commands/serve.js';
import { ConfigError } from './kernel/config.js';
import { ModuleGraphError } from './kernel/module-graph.js';

const USAGE = `mychat <command> [options]

Commands:
  serve [--target=all] [--workers=auto|N]
                           run the given modules (comma-separated names or meta-targets);
                           --workers: processes for the socket work (server.workers)
  migrate                  bring every service's tables up to date, then exit
  modules                  list modules, their dependencies and the meta-targets
  config print             print the resolved config (secrets masked)
  config keys              list every config key with its environment variable
  search reindex           rebuild the search index from every stored message and post
  square admin grant|revoke <userId>
                           make (or unmake) a square admin (besides square.adminUserIds)
  square board create <name> [<description>]
                           open a public board in the square
  admin create --email=<address> | --phone=<+E.164> [--role=admin|moderator|none]
                           give an existing account the operator's console role
  bench-seed --out=<file> [--users=1000] [--group-size=0] [--pairs=false] [--friends=0] [--tag=<a-z0-9->]
             [--square-threads=0] [--square-replies=0] [--messages=0]
                           benchmarks only (needs bench.seed=true): create accounts, friend
                           pairs, one group and a ring of --friends friends each without sign-up,
                           and a square board of --square-threads threads, and --messages of
                           the search corpus in the group and pairs; write their access
                           tokens to <file>

Options:
  --config=<file>          YAML config file (default ./mychat.yaml when present)
  --<key>=<value>          set any config key by its dotted path, e.g. --http.port=9000
`;

/** bench-seed's own options: not config keys. */
const SEED_OPTIONS = [
  'users',
  'group-size',
  'tag',
  'out',
  'pairs',
  'friends',
  'square-threads',
  'square-replies',
  'messages',
];
/** admin create's own options. */
const ADMIN_OPTIONS = ['email', 'phone', 'role'];

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
    if (positionals[0] === 'bench-seed' && SEED_OPTIONS.includes(t.name)) seed[t.name] = t.value;
    else if (positionals[0] === 'admin' && ADMIN_OPTIONS.includes(t.name)) seed[t.name] = t.value;
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

/** The exit code, or -1 for a command that keeps running (serve). */
async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  const [cmd, sub] = args.command;
  const ctx: CommandContext = {
    sources: { file: args.configFile, env: process.env, flags: args.flags },
    out,
  };
  if (!cmd || cmd === 'help' || args.help) {
    out(USAGE);
    return cmd || args.help ? 0 : 1;
  }
  if (cmd === 'modules') return modulesCommand(ctx);
  if (cmd === 'config' && sub === 'print') return configPrintCommand(ctx);
  if (cmd === 'config' && sub === 'keys') return configKeysCommand(ctx);
  if (cmd === 'migrate') return migrateCommand(ctx);
  if (cmd === 'search')
    return (await import('./commands/search.js')).searchCommand(sub, ctx.sources, ctx.out);
  if (cmd === 'square')
    return (await import('./commands/square.js')).squareCommand(args.command.slice(1), ctx);
  if (cmd === 'bench-seed') {
    const { benchSeedCommand } = await import('./commands/bench-seed.js');
    return benchSeedCommand(ctx, args.seed);
  }
  if (cmd === 'admin') return (await import('./commands/admin.js')).adminCommand(ctx, sub, args.seed);
  if (cmd === 'serve') return serveCommand(ctx, args.target);
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
