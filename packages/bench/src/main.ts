#!/usr/bin/env node
/**
 * `npm run bench -- <scenario> [options]`: drives MyChat and prints one JSON line per run
 * (see cli.ts for the scenarios and options, docs/performance.md for the results).
 */
import { runAuth } from './auth-scenario.js';
import { runChat } from './chat-scenario.js';
import { parseCli, USAGE } from './cli.js';
import { runMedia } from './media-scenario.js';
import { writeReport } from './report.js';
import { jsonLine } from './result.js';
import { runScenario } from './scenarios.js';

if (process.argv[2] === '__idle-worker') {
  // A generator process of `idle --workers N` (idle-worker.ts), not a scenario.
  const { idleWorkerMain } = await import('./idle-worker.js');
  await idleWorkerMain(process.argv[3]!);
  process.exit(0);
}
const parsed = parseCli(process.argv.slice(2));
if (parsed.kind === 'error') {
  process.stderr.write(`bench: ${parsed.message}\n\n${USAGE}`);
  process.exit(2);
}
if (parsed.kind === 'search') {
  const { runSearch } = await import('./search-scenario.js');
  process.stdout.write(JSON.stringify(await runSearch(parsed.options)) + '\n');
} else if (parsed.kind === 'call') {
  const { runCall } = await import('./call-scenario.js');
  process.stdout.write(JSON.stringify(await runCall(parsed.options)) + '\n');
} else if (parsed.kind === 'square') {
  const { runSquare } = await import('./square-scenario.js');
  process.stdout.write(JSON.stringify(await runSquare(parsed.options)) + '\n');
} else if (parsed.kind === 'legacy') {
  const v = parsed.values;
  if (parsed.scenario === 'auth') {
    const result = await runAuth({ users: Number(v.users), concurrency: Number(v.concurrency ?? 4) });
    process.stdout.write(JSON.stringify(result) + '\n');
  } else if (parsed.scenario === 'media') {
    const result = await runMedia({ images: Number(v.images), voices: Number(v.voices) });
    process.stdout.write(JSON.stringify(result) + '\n');
  } else {
    if (v.url && !v.outbox) {
      process.stderr.write(
        "bench: --url needs --outbox <dir> (the target's mail outbox, for sign-up codes)\n",
      );
      process.exit(2);
    }
    const result = await runChat({
      users: Number(v.users),
      rate: Number(v.rate),
      durationS: Number(v.duration),
      ...(v.url && { target: { url: v.url, outboxDir: v.outbox! } }),
    });
    process.stdout.write(JSON.stringify(result) + '\n');
  }
} else {
  const result = await runScenario(parsed.options);
  process.stdout.write(jsonLine(result) + '\n');
  if (parsed.out) {
    const files = writeReport(result, parsed.out);
    process.stderr.write(`bench: wrote ${files.join(', ')}\n`);
  }
}
