#!/usr/bin/env node
/**
 * `npm run bench -- <scenario> [options]`: drives MyChat and prints one JSON line per run.
 * Scenarios so far: auth (sign-up and login latency on the embedded profile).
 */
import { parseArgs } from 'node:util';
import { runAuth } from './auth-scenario.js';
import { runChat } from './chat-scenario.js';
import { runMedia } from './media-scenario.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    users: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '4' },
    rate: { type: 'string', default: '200' },
    duration: { type: 'string', default: '10' },
    images: { type: 'string', default: '15' },
    voices: { type: 'string', default: '5' },
    // A running target (a cluster's entry) instead of a local all-in-one server; codes are
    // read from its mail outbox directory.
    url: { type: 'string' },
    outbox: { type: 'string' },
  },
});

const scenario = positionals[0];
if (scenario === 'auth') {
  const result = await runAuth({ users: Number(values.users), concurrency: Number(values.concurrency) });
  process.stdout.write(JSON.stringify(result) + '\n');
} else if (scenario === 'chat') {
  if (values.url && !values.outbox) {
    process.stderr.write("--url needs --outbox <dir> (the target's mail outbox, for sign-up codes)\n");
    process.exit(2);
  }
  const result = await runChat({
    users: Number(values.users),
    rate: Number(values.rate),
    durationS: Number(values.duration),
    ...(values.url && { target: { url: values.url, outboxDir: values.outbox! } }),
  });
  process.stdout.write(JSON.stringify(result) + '\n');
} else if (scenario === 'media') {
  const result = await runMedia({ images: Number(values.images), voices: Number(values.voices) });
  process.stdout.write(JSON.stringify(result) + '\n');
} else {
  process.stderr.write(
    'usage: npm run bench -- auth [--users N] [--concurrency C]\n       npm run bench -- chat [--users N] [--rate R] [--duration S] [--url <running target> --outbox <dir>]\n       npm run bench -- media [--images N] [--voices N]\n',
  );
  process.exitCode = 2;
}
