#!/usr/bin/env node
/**
 * `npm run bench -- <scenario> [options]`: drives MyChat and prints one JSON line per run.
 * Scenarios so far: auth (sign-up and login latency on the embedded profile).
 */
import { parseArgs } from 'node:util';
import { runAuth } from './auth-scenario.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    users: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '4' },
  },
});

const scenario = positionals[0];
if (scenario === 'auth') {
  const result = await runAuth({ users: Number(values.users), concurrency: Number(values.concurrency) });
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  process.stderr.write('usage: npm run bench -- auth [--users N] [--concurrency C]\n');
  process.exitCode = 2;
}
