/**
 * Holding idle connections from several generator processes: one process may open only as many
 * sockets as its file-descriptor limit allows (`ulimit -n`, 20 000 on the reference machine),
 * so `idle --workers N` splits the connections over N of these. Each reads its job from a file,
 * connects, prints `ready <json>`, pings on the heartbeat, and on `stop` (a stdin line) prints
 * `done <json>` and exits.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connectMany, type LeanOptions } from './lean-client.js';

export interface IdleJob {
  options: LeanOptions[];
  concurrency: number;
}

export interface WorkerReport {
  connected: number;
  failed: number;
  errors: string[];
  stillOpen?: number;
}

/** Runs inside the worker process. */
export async function idleWorkerMain(jobFile: string): Promise<void> {
  const job = JSON.parse(fs.readFileSync(jobFile, 'utf8')) as IdleJob;
  const { clients, failed, errors } = await connectMany(job.options, job.concurrency);
  process.stdout.write(
    `ready ${JSON.stringify({ connected: job.options.length - failed, failed, errors })}\n`,
  );
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (line.trim() !== 'stop') continue;
    const stillOpen = clients.filter((c) => c?.isOpen).length;
    const cpu = process.cpuUsage();
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    process.stdout.write(
      `done ${JSON.stringify({ stillOpen, closeCodes: closeCodes(clients), cpuSeconds })}\n`,
    );
    for (let i = 0; i < clients.length; i += 500)
      await Promise.all(clients.slice(i, i + 500).map((c) => c?.close()));
    process.exit(0);
  }
}

/** How many sockets closed with each code (1006 = no close frame: reset or timed out). */
export function closeCodes(
  clients: ({ closeCode: number | undefined } | undefined)[],
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of clients) if (c?.closeCode !== undefined) out[c.closeCode] = (out[c.closeCode] ?? 0) + 1;
  return out;
}

/** A running worker: wait for it to be connected, then stop it and read what it still holds. */
export interface IdleWorker {
  ready: Promise<WorkerReport>;
  stop(): Promise<{ stillOpen: number; closeCodes: Record<string, number>; cpuSeconds: number }>;
}

export function startIdleWorker(job: IdleJob): IdleWorker {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-idle-'));
  const file = path.join(dir, 'job.json');
  fs.writeFileSync(file, JSON.stringify(job), { mode: 0o600 });
  const main = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.js');
  const child = spawn(process.execPath, [main, '__idle-worker', file], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = readline.createInterface({ input: child.stdout });
  const waiters = new Map<string, (json: string) => void>();
  lines.on('line', (line) => {
    const at = line.indexOf(' ');
    waiters.get(line.slice(0, at))?.(line.slice(at + 1));
  });
  const next = (word: string) =>
    new Promise<string>((resolve, reject) => {
      waiters.set(word, resolve);
      child.once('exit', (code) => reject(new Error(`idle worker exited with ${code}`)));
    });
  const ready = next('ready').then((j) => {
    fs.rmSync(dir, { recursive: true, force: true });
    return JSON.parse(j) as WorkerReport;
  });
  return {
    ready,
    async stop() {
      const done = next('done');
      child.stdin.write('stop\n');
      const report = JSON.parse(await done) as {
        stillOpen: number;
        closeCodes: Record<string, number>;
        cpuSeconds: number;
      };
      await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
      return report;
    },
  };
}
