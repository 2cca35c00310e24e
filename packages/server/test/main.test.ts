/**
 * The built `mychat` binary, run as a user would: a child process in an empty directory.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { parse as parseYaml } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const MAIN = path.join(ROOT, 'packages/server/dist/main.js');

/** The parent's environment without any MYCHAT_* setting, plus the given ones. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MYCHAT_')) env[k] = v;
  return { ...env, ...extra };
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

let cwd: string;

async function mychat(args: string[], env: Record<string, string> = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [MAIN, ...args], {
      cwd,
      env: childEnv(env),
      // A command loads the whole server: 2-5 s alone, past 20 s under the whole suite on two
      // cores (a migrate was killed at 20 s there). This bounds a hang, not the speed.
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof err.code !== 'number') throw e;
    return { code: err.code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

beforeAll(async () => {
  // Incremental: a no-op when dist is up to date with the sources.
  await execFileAsync('npx', ['tsc', '-b', 'packages/server'], { cwd: ROOT, timeout: 120_000 });
  expect(existsSync(MAIN)).toBe(true);
}, 120_000);

beforeAll(() => {
  cwd = mkdtempSync(path.join(tmpdir(), 'mychat-cli-'));
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('mychat modules', () => {
  it('lists the modules with their dependencies, and the meta-target all', async () => {
    const r = await mychat(['modules']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^auth\s+needs .*\bsql\b/m);
    expect(r.stdout).toMatch(/^gateway\s+needs .*\bhttp-server\b/m);
    expect(r.stdout).toMatch(/^metrics\s+\(no dependencies\)/m);
    const all = /^all\s+(.*) -> (.*)$/m.exec(r.stdout);
    expect(all, r.stdout).not.toBeNull();
    expect(all![1]!.split(', ')).toEqual(expect.arrayContaining(['auth', 'gateway']));
    const resolved = all![2]!.split(', ');
    expect(resolved).toEqual(expect.arrayContaining(['auth', 'gateway', 'sql', 'http-server']));
    expect(resolved.indexOf('sql')).toBeLessThan(resolved.indexOf('auth'));
  });

  it('lists the services each module calls (its peers) under it', async () => {
    const r = await mychat(['modules']);
    const block = (name: string) =>
      new RegExp(`^${name}\\s+needs[^\\n]*\\n((?: {13}.*\\n)+)`, 'm').exec(r.stdout)?.[1] ?? '';
    expect(block('gateway')).toMatch(
      /^\s+calls auth, contacts, message, media, moments, push, search, rooms, calls, square, admin, keys$/m,
    );
    expect(block('admin')).toMatch(
      /^\s+calls auth, contacts, message, media, moments, square, push, keys, rooms, calls$/m,
    );
    expect(block('moments')).toMatch(/^\s+calls contacts, media$/m);
    expect(block('worker')).toMatch(/^\s+calls contacts, message, moments, square$/m);
    expect(block('push-sender')).toMatch(/^\s+calls message, auth$/m);
    expect(block('search')).toMatch(/^\s+calls message, contacts, media, moments, square$/m);
    expect(block('rooms')).toMatch(/^\s+calls message, media$/m);
    expect(block('calls')).toMatch(/^\s+calls message$/m);
    expect(block('square')).toMatch(/^\s+calls contacts, media$/m);
    expect(block('contacts')).toMatch(/^\s+calls auth, message, media$/m);
    expect(block('message')).toMatch(/^\s+calls media$/m);
    expect(block('media')).not.toMatch(/calls/);
    expect(block('auth')).toMatch(/^\s+calls media$/m);
    expect(block('rooms')).toMatch(/^\s+calls message, media$/m);
    expect(block('calls')).toMatch(/^\s+calls message$/m);
    expect(block('square')).toMatch(/^\s+calls contacts, media$/m);
  });
});

describe('mychat config', () => {
  it('print shows the resolved config as YAML', async () => {
    const r = await mychat(['config', 'print']);
    expect(r.code).toBe(0);
    const printed = parseYaml(r.stdout) as { http: { port: number }; dataDir: string };
    expect(printed.http.port).toBe(8080);
    expect(printed.dataDir).toBe('./data');
  });

  it('print applies env, flags and the config file, flags winning', async () => {
    const file = path.join(cwd, 'custom.yaml');
    writeFileSync(file, 'http:\n  port: 7001\n  host: 0.0.0.0\n');
    const r = await mychat(['config', 'print', `--config=${file}`, '--http.port=7003'], {
      MYCHAT_HTTP_PORT: '7002',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(parseYaml(r.stdout)).toMatchObject({ http: { port: 7003, host: '0.0.0.0' } });
  });

  it('print masks a password given in MYCHAT_SMTP_URL', async () => {
    const r = await mychat(['config', 'print'], { MYCHAT_SMTP_URL: 'smtp://u:secretpw@h:25' });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('secretpw');
    expect((parseYaml(r.stdout) as { smtp: { url: string } }).smtp.url).toBe('smtp://u:***@h:25');
  });

  it('an unknown flag exits 2 with a message naming it', async () => {
    const r = await mychat(['config', 'print', '--http.prot=1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('http.prot');
    expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(r.stdout).toBe('');
  });

  it('an unknown MYCHAT_* variable exits 2 naming it', async () => {
    const r = await mychat(['config', 'print'], { MYCHAT_HTTP_PROT: '1' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('MYCHAT_HTTP_PROT');
  });

  it('keys lists every key with its environment variable', async () => {
    const r = await mychat(['config', 'keys']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^http\.port\s+MYCHAT_HTTP_PORT$/m);
    expect(r.stdout).toMatch(/^jwt\.keyFile\s+MYCHAT_JWT_KEY_FILE$/m);
  });

  it('runs as `npx mychat config keys` from the repository root, as the README says', async () => {
    const { stdout } = await execFileAsync('npx', ['--no-install', 'mychat', 'config', 'keys'], {
      cwd: ROOT,
      env: childEnv(),
      timeout: 60_000,
    });
    expect(stdout).toMatch(/^rpc\.port\s+MYCHAT_RPC_PORT$/m);
    expect(stdout).toMatch(/^http\.trustedProxies\s+MYCHAT_HTTP_TRUSTED_PROXIES$/m);
  });
});

describe('mychat errors', () => {
  it('an unknown target exits 2 naming it', async () => {
    const r = await mychat(['serve', '--target=gatewya', '--http.port=0', '--rpc.port=0'], {
      MYCHAT_DATA_DIR: path.join(cwd, 'unused'),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('gatewya');
  });

  it('an unknown command exits 1 with the usage', async () => {
    const r = await mychat(['frobnicate']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('unknown command: frobnicate');
    expect(r.stdout).toContain('mychat <command>');
  });
});

describe('mychat migrate', () => {
  it('creates the SQLite database in the data dir and exits 0, twice', { timeout: 150_000 }, async () => {
    const dataDir = path.join(cwd, 'migrate-data');
    const first = await mychat(['migrate'], { MYCHAT_DATA_DIR: dataDir, MYCHAT_LOG_LEVEL: 'warn' });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/migrated: .*\bauth\b/);
    expect(existsSync(path.join(dataDir, 'mychat.db'))).toBe(true);
    const again = await mychat(['migrate'], { MYCHAT_DATA_DIR: dataDir, MYCHAT_LOG_LEVEL: 'warn' });
    expect(again.code, again.stderr).toBe(0);
  });
});

describe('mychat serve', () => {
  let child: ReturnType<typeof spawn> | undefined;
  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child = undefined;
  });

  it('becomes ready on port 0 and exits 0 on SIGTERM', { timeout: 90_000 }, async () => {
    const dataDir = path.join(cwd, 'serve-data');
    const proc = spawn(process.execPath, [MAIN, 'serve', '--http.port=0', '--rpc.port=0'], {
      cwd,
      env: childEnv({ MYCHAT_DATA_DIR: dataDir }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      proc.on('exit', (code, signal) => resolve({ code, signal })),
    );

    // The http-server logs the URL it bound, then /readyz turns 200 once every module runs. The
    // bound is generous: under the whole suite on two cores a start took 10-20 s (not a speed test).
    const deadline = Date.now() + 60_000;
    let url: string | undefined;
    let ready = false;
    while (!ready) {
      if (Date.now() > deadline || proc.exitCode !== null) {
        throw new Error(`not ready (exit ${proc.exitCode})\nstdout:\n${stdout}\nstderr:\n${stderr}`);
      }
      url ??= /"url":"(http:\/\/[^"]+)","msg":"http listening"/.exec(stdout)?.[1];
      if (url) {
        const res = await fetch(`${url}/readyz`).catch(() => undefined);
        ready = res?.status === 200;
        await res?.body?.cancel();
      }
      if (!ready) await new Promise((r) => setTimeout(r, 100));
    }
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(existsSync(path.join(dataDir, 'mychat.db'))).toBe(true);

    proc.kill('SIGTERM');
    const exit = await Promise.race([
      exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`no exit 10 s after SIGTERM\n${stdout}\n${stderr}`)), 10_000),
      ),
    ]);
    expect(exit, stderr).toEqual({ code: 0, signal: null });
    expect(stdout).toContain('"msg":"shutting down');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
