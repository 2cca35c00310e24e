import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { nodeFlagsFor } from '@mychat/server/kernel/node-flags';

/**
 * The built server binary (`dist/main.js` of `@mychat/server`), found through the package, so the
 * same from this source and from its build in `dev/dist/`.
 */
export const MAIN_JS = path.join(
  path.dirname(createRequire(import.meta.url).resolve('@mychat/server/package.json')),
  'dist/main.js',
);

/**
 * One `mychat serve --target=...` process of the loopback cluster: its own data dir, ports
 * fixed for its whole life (so a restart comes back where its peers expect it), and its
 * stdout and stderr appended to `logFile`.
 */
export class ClusterProcess {
  private child: ChildProcess | undefined;

  constructor(
    readonly name: string,
    readonly targets: string,
    readonly httpPort: number,
    /** Internal gRPC port; 0 for gateways, which serve none. */
    readonly rpcPort: number,
    readonly logFile: string,
    private readonly env: Record<string, string>,
    /** Node flags after the production ones (`--cpu-prof`, `--trace-gc`, ...). */
    private readonly nodeArgs: readonly string[] = [],
  ) {}

  /** The command line the process is started with (after the Node binary). */
  get argv(): string[] {
    return [...nodeFlagsFor(this.targets), ...this.nodeArgs, MAIN_JS, 'serve', `--target=${this.targets}`];
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get rpcUrl(): string {
    return `http://127.0.0.1:${this.rpcPort}`;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process and waits until its /readyz answers 200. */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.running) return;
    if (!fs.existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run "npm run build" first`);
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MYCHAT_')) env[k] = v;
    const log = fs.openSync(this.logFile, 'a');
    const child = spawn(process.execPath, this.argv, {
      env: { ...env, ...this.env },
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    this.child = child;
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (!this.running) throw new Error(`${this.name} exited at start:\n${this.tail()}`);
      const ready = await fetch(`${this.httpUrl}/readyz`, { signal: AbortSignal.timeout(1_000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${this.name} did not become ready in ${timeoutMs} ms:\n${this.tail()}`);
  }

  /** SIGKILL: no chance to clean up, as in a crash or an OOM kill. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGTERM: a graceful stop (gateways tell their clients to reconnect elsewhere). */
  async stop(): Promise<void> {
    await this.signal('SIGTERM', 15_000);
  }

  /** The last lines of the process's log. */
  tail(lines = 30): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  private async signal(sig: NodeJS.Signals, killAfterMs = 0): Promise<void> {
    const c = this.child;
    if (!c || !this.running) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(sig);
    const timer = killAfterMs ? setTimeout(() => c.kill('SIGKILL'), killAfterMs) : undefined;
    await exited;
    clearTimeout(timer);
  }
}
