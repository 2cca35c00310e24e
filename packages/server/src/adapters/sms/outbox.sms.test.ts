import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { latestSmsTo } from '../../../test/helpers/outbox.js';
import { maskPhone } from './mask-phone.js';
import { createOutboxSms } from './outbox.sms.js';
import { openSms } from './open-sms.js';

function captureLogger() {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (s: string) => void lines.push(s) });
  return { logger, lines };
}

describe('outbox sms', () => {
  let root: string;
  let outboxDir: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'mychat-sms-'));
    outboxDir = path.join(root, 'outbox');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes one JSON file per message with to, text and createdAt', async () => {
    const { logger } = captureLogger();
    const sms = createOutboxSms({ outboxDir, logger, now: () => new Date('2030-05-06T07:08:09.010Z') });
    const { id } = await sms.send({ to: '+8613812345678', text: '【MyChat】您的登录验证码是 730215' });

    expect(await readdir(outboxDir)).toEqual([`${id}.json`]);
    const body = JSON.parse(await readFile(path.join(outboxDir, `${id}.json`), 'utf8')) as unknown;
    expect(body).toEqual({
      to: '+8613812345678',
      text: '【MyChat】您的登录验证码是 730215',
      createdAt: '2030-05-06T07:08:09.010Z',
    });
  });

  it('logs the path and a masked number, never the text or the full number', async () => {
    const { logger, lines } = captureLogger();
    const sms = createOutboxSms({ outboxDir, logger });
    const { id } = await sms.send({ to: '+8613812345678', text: 'Your code is 730215' });
    expect(lines).toHaveLength(1);
    const line = lines[0] as string;
    const entry = JSON.parse(line) as Record<string, unknown>;
    expect(entry.file).toBe(path.join(outboxDir, `${id}.json`));
    expect(entry.to).toBe('+86***78');
    expect(line).not.toContain('730215');
    expect(line).not.toContain('Your code');
    expect(line).not.toContain('13812345678');
  });

  it('lets tests find the newest message to a number', async () => {
    const sms = await openSms({ outboxDir, logger: pino({ level: 'silent' }) });
    await sms.send({ to: '+15550001111', text: 'first 111111' });
    await sms.send({ to: '+15550002222', text: 'other 222222' });
    await sms.send({ to: '+15550001111', text: 'second 333333' });
    expect((await latestSmsTo(outboxDir, '+15550001111'))?.text).toBe('second 333333');
    expect(await latestSmsTo(outboxDir, '+15550009999')).toBeUndefined();
  });
});

describe('maskPhone', () => {
  it('keeps the leading digits and the last two', () => {
    expect(maskPhone('+8613812345678')).toBe('+86***78');
    expect(maskPhone('+1 (555) 000-1234')).toBe('+15***34');
    expect(maskPhone('12')).toBe('***');
  });
});
