import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/main.js');

export { freePort } from '@mychat/server/dev/cluster';

/** The built server as its own process (for crash tests): start, SIGKILL, start again. */
export class ChildServer {
  private child: ChildProcess | undefined;
  readonly logs: string[] = [];

  constructor(private readonly env: Record<string, string>) {}

  /** The server process's id (the primary's, with socket workers). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The exit code once the process has ended (null while it runs or when a signal ended it). */
  get exitCode(): number | null | undefined {
    return this.child?.exitCode;
  }

  get url(): string {
    return `http://127.0.0.1:${this.env.MYCHAT_HTTP_PORT}`;
  }

  async start(): Promise<void> {
    if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first`);
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MYCHAT_')) env[k] = v;
    const child = spawn(process.execPath, [MAIN, 'serve'], {
      env: { ...env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.on('data', (d: Buffer) => this.logs.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => this.logs.push(d.toString()));
    for (let i = 0; i < 300; i++) {
      if (child.exitCode !== null)
        throw new Error(`server exited with ${child.exitCode}: ${this.logs.join('')}`);
      const ready = await fetch(`${this.url}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('server did not become ready');
  }

  /** Kills the process without any chance to clean up. */
  async kill(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  }
}
