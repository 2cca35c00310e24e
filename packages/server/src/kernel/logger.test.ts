import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { createLoggers, type LogConfig } from './logger.js';

/** A destination that keeps every line, parsed. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    write(s: string) {
      for (const l of s.split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
    },
  };
}

const base: LogConfig = { level: 'info', pretty: 'false' };
const SECRET_FIELDS = ['password', 'token', 'accessToken', 'refreshToken', 'authorization'] as const;

describe('createLoggers', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('writes JSON lines with service, level label and message to the destination', () => {
    const out = capture();
    const { root } = createLoggers(base, out);
    root.info({ userId: '42' }, 'hello');
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toMatchObject({ service: 'mychat', level: 'info', msg: 'hello', userId: '42' });
  });

  it('honours the level', () => {
    const out = capture();
    const { root } = createLoggers({ ...base, level: 'warn' }, out);
    root.info('dropped');
    root.warn('kept');
    expect(out.lines.map((l) => l.msg)).toEqual(['kept']);
  });

  it.each(SECRET_FIELDS)('redacts %s at the top level and one level down', (field) => {
    const out = capture();
    const { root, forModule } = createLoggers(base, out);
    const obj = {
      [field]: 'SECRET-top',
      nested: { [field]: 'SECRET-nested', keep: 'visible' },
      other: 'visible',
    };
    root.info(obj, 'm');
    forModule('auth').info(obj, 'm');
    expect(out.lines).toHaveLength(2);
    for (const line of out.lines) {
      expect(JSON.stringify(line)).not.toContain('SECRET');
      expect(line[field]).toBe('[redacted]');
      expect(line.nested).toEqual({ [field]: '[redacted]', keep: 'visible' });
      expect(line.other).toBe('visible');
    }
  });

  it('redacts a top-level code but keeps an error code one level down', () => {
    const out = capture();
    createLoggers(base, out).root.info({ code: 'SECRET-123456', err: { code: 'ECONNREFUSED' } }, 'm');
    expect(out.lines[0]!.code).toBe('[redacted]');
    expect(out.lines[0]!.err).toEqual({ code: 'ECONNREFUSED' });
  });

  it('redacts the authorization header of a logged request', () => {
    const out = capture();
    createLoggers(base, out).root.info(
      { req: { headers: { authorization: 'Bearer SECRET', host: 'h' } } },
      'req',
    );
    expect(JSON.stringify(out.lines)).not.toContain('SECRET');
    expect(out.lines[0]).toMatchObject({ req: { headers: { host: 'h' } } });
  });

  it('does not alter the logged object', () => {
    const out = capture();
    const obj = { password: 'p', nested: { token: 't' } };
    createLoggers(base, out).root.info(obj, 'm');
    expect(obj).toEqual({ password: 'p', nested: { token: 't' } });
  });

  it('forModule adds the module name, without a file when log.dir is unset', async () => {
    const out = capture();
    const loggers = createLoggers(base, out);
    loggers.forModule('auth', { ownFile: true }).info('a');
    loggers.forModule('sql').info('b');
    expect(out.lines).toMatchObject([
      { module: 'auth', msg: 'a', service: 'mychat' },
      { module: 'sql', msg: 'b', service: 'mychat' },
    ]);
    await expect(loggers.flush()).resolves.toBeUndefined();
  });

  it('with log.dir, a service module also writes <dir>/<module>.log, readable right after flush', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mychat-log-'));
    const logDir = path.join(dir, 'logs');
    const out = capture();
    const loggers = createLoggers({ ...base, dir: logDir }, out);
    const auth = loggers.forModule('auth', { ownFile: true });
    const sql = loggers.forModule('sql'); // not a service: no file of its own
    auth.info({ password: 'SECRET' }, 'signed in');
    sql.info('query');
    await loggers.flush();

    const fileLines = readFileSync(path.join(logDir, 'auth.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(fileLines).toHaveLength(1);
    expect(fileLines[0]).toMatchObject({
      module: 'auth',
      msg: 'signed in',
      service: 'mychat',
      password: '[redacted]',
    });
    expect(existsSync(path.join(logDir, 'sql.log'))).toBe(false);
    // The main destination still gets every line.
    expect(out.lines.map((l) => [l.module, l.msg])).toEqual([
      ['auth', 'signed in'],
      ['sql', 'query'],
    ]);
  });

  it('with log.dir, a service module logs at the configured level (debug included) to both places', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mychat-log-'));
    const out = capture();
    const loggers = createLoggers({ ...base, level: 'debug', dir }, out);
    const auth = loggers.forModule('auth', { ownFile: true });
    auth.trace('too fine');
    auth.debug('detail');
    auth.info('fact');
    await loggers.flush();
    const fileMsgs = readFileSync(path.join(dir, 'auth.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(fileMsgs).toEqual(['detail', 'fact']);
    expect(out.lines.map((l) => l.msg)).toEqual(['detail', 'fact']);
  });
});
