import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { parse as parseYaml } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { configSchema } from '../config.schema.js';
import { ConfigError, configKeys, inDataDir, loadConfig, printConfig, type ConfigSources } from './config.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mychat-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileNo = 0;
function yamlFile(text: string): string {
  const file = path.join(dir, `c${++fileNo}.yaml`);
  writeFileSync(file, text);
  return file;
}

const load = (sources: ConfigSources) => loadConfig(configSchema, { env: {}, ...sources });

function configError(sources: ConfigSources): ConfigError {
  try {
    load(sources);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig defaults', () => {
  const cwd = process.cwd();
  afterEach(() => process.chdir(cwd));

  it('runs on defaults with no file, env, flags or overrides', () => {
    // An empty cwd, so no ./mychat.yaml is picked up.
    process.chdir(mkdtempSync(path.join(dir, 'empty-')));
    const c = loadConfig(configSchema, { env: {} });
    expect(c.http.port).toBe(8080);
    expect(c.http.host).toBe('127.0.0.1');
    expect(c.http.trustedProxies).toEqual([]);
    expect(c.dataDir).toBe('./data');
    // Unset: the process picks (see rpcPort in modules.ts).
    expect(c.rpc.port).toBeUndefined();
    expect(c.rpc.peers).toEqual({});
    expect(c.rpc.token).toBeUndefined();
    expect(c.sql.url).toBeUndefined();
    expect(c.redis.url).toBeUndefined();
    expect(c.smtp.url).toBeUndefined();
    expect(c.log.level).toBe('info');
    expect(c.auth.accessTokenTtlSeconds).toBe(600);
  });

  it('reads ./mychat.yaml when no file is named', () => {
    const cwdDir = mkdtempSync(path.join(dir, 'cwd-'));
    writeFileSync(path.join(cwdDir, 'mychat.yaml'), 'http:\n  port: 9001\n');
    process.chdir(cwdDir);
    expect(loadConfig(configSchema, { env: {} }).http.port).toBe(9001);
  });

  it('reads the file named by MYCHAT_CONFIG, which is not itself a config key', () => {
    const file = yamlFile('http:\n  port: 9002\n');
    expect(load({ env: { MYCHAT_CONFIG: file } }).http.port).toBe(9002);
  });

  it('names a config file it cannot read', () => {
    const missing = path.join(dir, 'nope.yaml');
    expect(configError({ file: missing }).message).toContain(missing);
  });

  it('rejects a YAML file that is not a mapping', () => {
    expect(configError({ file: yamlFile('- a\n- b\n') }).message).toMatch(/mapping/);
  });

  it('accepts an empty YAML file', () => {
    expect(load({ file: yamlFile('') }).http.port).toBe(8080);
  });
});

describe('loadConfig precedence: defaults < YAML < env < flags < overrides', () => {
  const file = () =>
    yamlFile('dataDir: /from/yaml\nhttp:\n  port: 1001\n  host: 0.0.0.0\nmail:\n  from: yaml@x\n');

  it('YAML beats defaults, and leaves sibling defaults alone', () => {
    const c = load({ file: file() });
    expect(c.http.port).toBe(1001);
    expect(c.http.host).toBe('0.0.0.0');
    expect(c.http.maxBodyBytes).toBe(64 * 1024);
    expect(c.dataDir).toBe('/from/yaml');
  });

  it('env beats YAML', () => {
    const c = load({ file: file(), env: { MYCHAT_HTTP_PORT: '2002' } });
    expect(c.http.port).toBe(2002);
    expect(c.http.host).toBe('0.0.0.0');
  });

  it('flags beat env', () => {
    const c = load({ file: file(), env: { MYCHAT_HTTP_PORT: '2002' }, flags: { 'http.port': '3003' } });
    expect(c.http.port).toBe(3003);
    expect(c.http.host).toBe('0.0.0.0');
    expect(c.mail.from).toBe('yaml@x');
  });

  it('overrides beat flags', () => {
    const c = load({
      file: file(),
      env: { MYCHAT_HTTP_PORT: '2002', MYCHAT_DATA_DIR: '/from/env' },
      flags: { 'http.port': '3003' },
      overrides: { http: { port: 4004 } },
    });
    expect(c.http.port).toBe(4004);
    expect(c.dataDir).toBe('/from/env');
    expect(c.http.host).toBe('0.0.0.0');
  });
});

describe('environment variables', () => {
  const cases: [string, string, (c: ReturnType<typeof load>) => unknown, unknown][] = [
    ['MYCHAT_HTTP_PORT', '9999', (c) => c.http.port, 9999],
    ['MYCHAT_DATA_DIR', '/var/lib/mychat', (c) => c.dataDir, '/var/lib/mychat'],
    ['MYCHAT_SQL_URL', 'postgres://u:p@db/mychat', (c) => c.sql.url, 'postgres://u:p@db/mychat'],
    ['MYCHAT_REDIS_URL', 'redis://r:6379', (c) => c.redis.url, 'redis://r:6379'],
    ['MYCHAT_SMTP_URL', 'smtp://mail:25', (c) => c.smtp.url, 'smtp://mail:25'],
    ['MYCHAT_MAIL_FROM', 'Chat <c@x>', (c) => c.mail.from, 'Chat <c@x>'],
    ['MYCHAT_JWT_KEY_FILE', 'keys/jwt.pem', (c) => c.jwt.keyFile, 'keys/jwt.pem'],
    ['MYCHAT_AUTH_ACCESS_TOKEN_TTL_SECONDS', '120', (c) => c.auth.accessTokenTtlSeconds, 120],
    ['MYCHAT_NODE_ID', '7', (c) => c.nodeId, 7],
    ['MYCHAT_LOG_DIR', '/var/log/mychat', (c) => c.log.dir, '/var/log/mychat'],
  ];
  it.each(cases)('%s maps to its key', (name, value, get, expected) => {
    expect(get(load({ env: { [name]: value } }))).toEqual(expected);
  });

  it('configKeys derives every env name from the path', () => {
    const byPath = Object.fromEntries(configKeys(configSchema).map((k) => [k.path.join('.'), k.env]));
    expect(byPath).toMatchObject({
      'http.port': 'MYCHAT_HTTP_PORT',
      dataDir: 'MYCHAT_DATA_DIR',
      'sql.url': 'MYCHAT_SQL_URL',
      'redis.url': 'MYCHAT_REDIS_URL',
      'smtp.url': 'MYCHAT_SMTP_URL',
      'mail.from': 'MYCHAT_MAIL_FROM',
      'jwt.keyFile': 'MYCHAT_JWT_KEY_FILE',
      'rpc.peers': 'MYCHAT_RPC_PEERS',
      'sms.httpToken': 'MYCHAT_SMS_HTTP_TOKEN',
    });
    // Groups are not keys themselves, and no two keys share an env name.
    expect(byPath).not.toHaveProperty('http');
    const envs = Object.values(byPath);
    expect(new Set(envs).size).toBe(envs.length);
  });

  it('ignores variables without the MYCHAT_ prefix, MYCHAT_TEST_* and undefined values', () => {
    const c = load({
      env: {
        HTTP_PORT: '1',
        PATH: '/bin',
        MYCHAT_TEST_MYSQL_URL: 'mysql://x',
        MYCHAT_TEST_ANYTHING: '1',
        MYCHAT_SQL_URL: undefined,
      },
    });
    expect(c.http.port).toBe(8080);
    expect(c.sql.url).toBeUndefined();
  });

  it('parses rpc.peers from name=url pairs', () => {
    const c = load({ env: { MYCHAT_RPC_PEERS: 'auth=http://a:1,message=http://b:2' } });
    expect(c.rpc.peers).toEqual({ auth: 'http://a:1', message: 'http://b:2' });
    expect(load({ flags: { 'rpc.peers': 'auth = http://a:1 , message=http://b:2,' } }).rpc.peers).toEqual({
      auth: 'http://a:1',
      message: 'http://b:2',
    });
  });

  it('takes rpc.peers as a mapping from YAML', () => {
    const c = load({ file: yamlFile('rpc:\n  peers:\n    auth: http://a:1\n') });
    expect(c.rpc.peers).toEqual({ auth: 'http://a:1' });
  });

  it.each([
    ['true', true],
    ['false', false],
    ['1', true],
    ['0', false],
  ])('reads boolean %s', (text, value) => {
    expect(load({ env: { MYCHAT_BENCH_SEED: text } }).bench.seed).toBe(value);
    expect(load({ flags: { 'bench.seed': text } }).bench.seed).toBe(value);
  });

  it('rejects a boolean it cannot read, naming the key', () => {
    expect(configError({ env: { MYCHAT_BENCH_SEED: 'maybe' } }).message).toContain('bench.seed');
  });
});

describe('unknown keys are rejected, named', () => {
  it('in YAML, at the top level', () => {
    expect(configError({ file: yamlFile('dataDri: x\n') }).message).toContain('unknown config key: dataDri');
  });

  it('in YAML, nested', () => {
    const msg = configError({ file: yamlFile('http:\n  prot: 1\n') }).message;
    expect(msg).toContain('unknown config key: http.prot');
  });

  it('in YAML, every one of them', () => {
    const msg = configError({ file: yamlFile('http:\n  prot: 1\n  hots: x\nfoo: 1\n') }).message;
    expect(msg).toContain('http.prot');
    expect(msg).toContain('http.hots');
    expect(msg).toContain('foo');
  });

  it('in the environment', () => {
    expect(configError({ env: { MYCHAT_HTTP_PROT: '1' } }).message).toContain('MYCHAT_HTTP_PROT');
  });

  it('in flags, nested or naming a group instead of a key', () => {
    expect(configError({ flags: { 'http.prot': '1' } }).message).toContain('http.prot');
    expect(configError({ flags: { nope: '1' } }).message).toContain('nope');
    expect(configError({ flags: { http: '1' } }).message).toContain('http');
  });
});

describe('wrong types are rejected, naming the key', () => {
  it.each([
    ['abc', 'env'],
    ['70000', 'env'],
    ['-1', 'env'],
    ['1.5', 'env'],
    ['abc', 'flag'],
    ['70000', 'flag'],
  ])('http.port %s (%s)', (value, via) => {
    const sources: ConfigSources =
      via === 'env' ? { env: { MYCHAT_HTTP_PORT: value } } : { flags: { 'http.port': value } };
    expect(configError(sources).message).toContain('http.port');
  });

  it('from YAML', () => {
    expect(configError({ file: yamlFile('http:\n  port: 70000\n') }).message).toContain('http.port');
    expect(configError({ file: yamlFile('http:\n  port: abc\n') }).message).toContain('http.port');
    expect(configError({ file: yamlFile('log:\n  level: loud\n') }).message).toContain('log.level');
    expect(configError({ file: yamlFile('http: 3\n') }).message).toContain('http');
  });

  it('out of range for a module-owned key', () => {
    expect(configError({ env: { MYCHAT_AUTH_CODE_MAX_ATTEMPTS: '0' } }).message).toContain(
      'auth.codeMaxAttempts',
    );
  });

  it('accepts the range boundaries', () => {
    expect(load({ env: { MYCHAT_HTTP_PORT: '65535' } }).http.port).toBe(65535);
    expect(load({ env: { MYCHAT_HTTP_PORT: '0' } }).http.port).toBe(0);
  });
});

describe('printConfig', () => {
  it('prints YAML that parses back to the config', () => {
    const c = load({});
    expect(parseYaml(printConfig(c))).toMatchObject({ http: { port: 8080 }, dataDir: './data' });
  });

  it('masks secrets: URL passwords, rpc.token, sms.httpToken', () => {
    const c = load({
      env: {
        MYCHAT_SMTP_URL: 'smtp://mailer:smtp-secret@mail.example:587',
        MYCHAT_SQL_URL: 'postgres://app:sql-secret@db/mychat',
        MYCHAT_REDIS_URL: 'redis://:redis-secret@cache:6379',
        MYCHAT_RPC_TOKEN: 'rpc-secret',
        MYCHAT_SMS_HTTP_TOKEN: 'sms-secret',
        MYCHAT_RPC_PEERS: 'auth=http://peer:peer-secret@a:1',
      },
    });
    const out = printConfig(c);
    for (const secret of [
      'smtp-secret',
      'sql-secret',
      'redis-secret',
      'rpc-secret',
      'sms-secret',
      'peer-secret',
    ]) {
      expect(out).not.toContain(secret);
    }
    const printed = parseYaml(out) as typeof c;
    expect(printed.smtp.url).toBe('smtp://mailer:***@mail.example:587');
    expect(printed.sql.url).toBe('postgres://app:***@db/mychat');
    expect(printed.rpc.token).toBe('***');
    expect(printed.sms.httpToken).toBe('***');
    // Non-secrets stay readable.
    expect(printed.http.port).toBe(8080);
    expect(printed.mail.from).toBe(c.mail.from);
  });

  it('does not invent a value for an unset secret', () => {
    const printed = parseYaml(printConfig(load({}))) as Record<string, Record<string, unknown>>;
    expect(printed.rpc!.token).toBeUndefined();
  });
});

describe('inDataDir', () => {
  it('joins relative paths to the data dir and keeps absolute ones', () => {
    expect(inDataDir('/data', 'jwt.pem')).toBe(path.join('/data', 'jwt.pem'));
    expect(inDataDir('/data', '/etc/jwt.pem')).toBe('/etc/jwt.pem');
  });
});
