#!/usr/bin/env node
/**
 * `npm run bench -- <scenario> [options]`: drives MyChat and prints one JSON line per run.
 * Scenarios so far: auth (sign-up and login latency on the embedded profile).
 */
import { parseArgs } from 'node:util';
import { runAuth } from './auth-scenario.js';
import { runChat } from './chat-scenario.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    users: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '4' },
    rate: { type: 'string', default: '200' },
    duration: { type: 'string', default: '10' },
  },
});

const scenario = positionals[0];
if (scenario === 'auth') {
  const result = await runAuth({ users: Number(values.users), concurrency: Number(values.concurrency) });
  process.stdout.write(JSON.stringify(result) + '\n');
} else if (scenario === 'chat') {
  const result = await runChat({
    users: Number(values.users),
    rate: Number(values.rate),
    durationS: Number(values.duration),
  });
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  process.stderr.write(
    'usage: npm run bench -- auth [--users N] [--concurrency C]\n       npm run bench -- chat [--users N] [--rate R] [--duration S]\n',
  );
  process.exitCode = 2;
}
