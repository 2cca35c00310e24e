#!/usr/bin/env node
/**
 * `npm run cluster`: the split topology on loopback, for trying it and for tests. Starts
 * auth, contacts and message (one process each), two gateways and a round-robin entry
 * (nginx when installed), on a fresh PostgreSQL or MariaDB database and Redis; prints the
 * entry URL; Ctrl-C stops everything and drops the database (unless --keep).
 */
import { parseArgs } from 'node:util';
import { startCluster } from './cluster.js';

const USAGE = `npm run cluster -- [options]

  --sql=postgres|mysql|<admin url>   where the fresh database is created (default postgres)
  --redis=<url>                      Redis for kv and bus (default redis://127.0.0.1:6379)
  --bus=nats://127.0.0.1:4222        put the bus on NATS instead of Redis
  --gateways=2                       how many gateways
  --port=8080                        the entry's port (default a free one)
  --entry=auto|nginx|node            nginx when installed, else a built-in TCP round robin
  --log-level=info                   every process's log level
  --keep                             keep the database, Redis keys and directory on exit

MYCHAT_* environment variables are passed to every process.
`;

const { values } = parseArgs({
  options: {
    sql: { type: 'string' },
    redis: { type: 'string' },
    bus: { type: 'string' },
    gateways: { type: 'string' },
    port: { type: 'string' },
    entry: { type: 'string' },
    'log-level': { type: 'string' },
    keep: { type: 'boolean' },
    help: { type: 'boolean' },
  },
});
const out = (s: string) => process.stdout.write(s + '\n');

if (values.help) {
  out(USAGE);
} else {
  const entry = values.entry as 'auto' | 'nginx' | 'node' | undefined;
  const cluster = await startCluster({
    ...(values.sql && { sql: values.sql }),
    ...(values.redis && { redisUrl: values.redis }),
    ...(values.bus && { busUrl: values.bus }),
    ...(values.gateways && { gateways: Number(values.gateways) }),
    ...(values.port && { entryPort: Number(values.port) }),
    ...(entry && { entry }),
    ...(values['log-level'] && { logLevel: values['log-level'] }),
    keep: values.keep === true,
    // Trying the cluster by hand: no 60 s wait between codes to one address. MYCHAT_* variables
    // of this command's environment go to every process (MYCHAT_LOG_LEVEL=debug npm run cluster).
    env: {
      MYCHAT_AUTH_SEND_COOLDOWN_SECONDS: '5',
      ...Object.fromEntries(
        Object.entries(process.env).filter(
          (e): e is [string, string] => e[0].startsWith('MYCHAT_') && !!e[1],
        ),
      ),
    },
  });
  out(`MyChat cluster on ${cluster.baseUrl}  (entry: ${cluster.entry})`);
  for (const p of cluster.processes)
    out(
      `  ${p.name.padEnd(10)} pid ${String(p.pid).padEnd(7)} http ${p.httpUrl}${p.rpcPort ? `  rpc ${p.rpcUrl}` : ''}`,
    );
  out(`  database   ${cluster.sqlUrl.replace(/\/\/[^@/]*@/, '//***@')}`);
  out(`  redis      ${cluster.redisUrl} (prefix ${cluster.redisPrefix})`);
  out(`  logs       ${cluster.dir}/logs/`);
  out(`  mail       ${cluster.dir}/auth/outbox/ (verification codes)`);
  out('Ctrl-C stops everything.');
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    out('stopping...');
    cluster.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`cluster stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
