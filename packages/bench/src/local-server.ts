import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, MAIN_JS } from '@mychat/server/dev/cluster';
import { nodeFlagsFor } from '@mychat/server/kernel/node-flags';

export interface LocalServer {
  url: string;
  dataDir: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Node flags for the started server: first those it is started with in production
 * (`serveFlags`: the server's nodeFlagsFor('all'), V8's young generation), then from the
 * environment: BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the server there (for flame
 * graphs); BENCH_SERVER_NODE_ARGS adds flags of its own, space-separated, values joined by
 * `=` (`--max-semi-space-size=16`, `--trace-gc`); a V8 flag given twice takes the last value,
 * so these override the production ones.
 */
export function serverNodeArgs(
  env: NodeJS.ProcessEnv = process.env,
  serveFlags: readonly string[] = [],
): string[] {
  const profile = env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${env.BENCH_CPU_PROF}`] : [];
  const own = (env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  for (const a of own)
    if (!a.startsWith('--'))
      throw new Error(`BENCH_SERVER_NODE_ARGS: ${a} is not a flag (give values as --flag=value)`);
  return [...serveFlags, ...profile, ...own];
}

/**
 * Starts the built MyChat server (all-in-one, SQLite, temp data dir; Node flags as in
 * production, and from {@link serverNodeArgs}) as a child process and waits until /readyz answers 200. `env`
 * adds MYCHAT_* settings.
 */
export async function startLocalServer(
  env: Record<string, string> = {},
  dataDir: string = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-bench-')),
): Promise<LocalServer> {
  // The server's own choice of ports: below the ephemeral range, where no client's source port lands.
  const [port, rpcPort] = [await freePort(), await freePort()];
  const flags = serverNodeArgs(process.env, nodeFlagsFor('all'));
  const child: ChildProcess = spawn(process.execPath, [...flags, MAIN_JS, 'serve'], {
    env: {
      ...process.env,
      MYCHAT_DATA_DIR: dataDir,
      MYCHAT_HTTP_PORT: String(port),
      MYCHAT_RPC_PORT: String(rpcPort),
      MYCHAT_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    dataDir,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Reads the newest code sent to `email` from a local server's outbox. */
export async function codeFromOutbox(dataDir: string, email: string): Promise<string> {
  return codeFromOutboxDir(path.join(dataDir, 'outbox'), email);
}

/** Reads the newest code sent to `email` from an outbox directory (a remote target's, shared on disk). */
export async function codeFromOutboxDir(dir: string, email: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const files = fs.existsSync(dir)
      ? fs
          .readdirSync(dir)
          .filter((f) => f.endsWith('.eml'))
          .sort()
          .reverse()
      : [];
    for (const f of files) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8').replace(/\r/g, '');
      if (!new RegExp(`^To: ${email.replace(/[.+]/g, '\\$&')}$`, 'm').test(text)) continue;
      const m = /^ +(\d{6})$/m.exec(text);
      if (m) return m[1]!;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no code for ${email}`);
}

/** The fields of a /proc stat line after the command name. */
function statFields(file: string): string[] {
  const stat = fs.readFileSync(file, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * CPU seconds and RSS of a process, from /proc (Linux), and the CPU seconds of its main
 * thread alone (the event loop; the process figure also counts GC helpers, SQLite's
 * checkpoint thread and libuv's pool).
 */
export function procStats(pid: number): {
  cpuSeconds: number;
  rssMiB: number;
  mainThreadCpuSeconds: number;
  writeBytes: number;
} {
  const fields = statFields(`/proc/${pid}/stat`);
  const main = statFields(`/proc/${pid}/task/${pid}/stat`);
  const ticks = (f: string[]) => Number(f[11]) + Number(f[12]); // utime + stime
  const rssPages = Number(fields[21]);
  return {
    cpuSeconds: ticks(fields) / 100,
    rssMiB: Math.round(((rssPages * 4096) / 1048576) * 10) / 10,
    mainThreadCpuSeconds: ticks(main) / 100,
    writeBytes: ioWriteBytes(pid),
  };
}

/**
 * Bytes a process has caused to be written to storage (its dirtied pages, the WAL's and
 * checkpoints' writes included), from /proc/<pid>/io; 0 where that is not readable.
 */
export function ioWriteBytes(pid: number): number {
  try {
    const m = /^write_bytes: (\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The processes started by `pid`, and theirs, from /proc (Linux); empty elsewhere. */
export function descendantPids(pid: number): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const e of entries) {
    try {
      const ppid = Number(statFields(`/proc/${e}/stat`)[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(e));
      children.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}
