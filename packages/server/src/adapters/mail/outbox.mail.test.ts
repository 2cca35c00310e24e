import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { simpleParser } from 'mailparser';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { readOutboxMails } from '../../../test/helpers/outbox.js';
import { maskEmail } from './mask-email.js';
import { createOutboxMailer } from './outbox.mail.js';

function captureLogger() {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (s: string) => void lines.push(s) });
  return { logger, lines };
}

const message = {
  to: 'alice@example.com',
  subject: 'MyChat 注册验证码',
  text: '您正在注册 MyChat 账号，验证码：\n\n    482913\n',
  html: '<p>您正在注册 MyChat 账号，验证码：</p><p style="font-size:32px">482913</p>',
};

describe('outbox mailer', () => {
  let root: string;
  let outboxDir: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'mychat-mail-'));
    outboxDir = path.join(root, 'data', 'outbox'); // does not exist yet: created on demand
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes a real .eml with headers, both parts and a UTF-8 subject', async () => {
    const { logger } = captureLogger();
    const mailer = createOutboxMailer({ outboxDir, from: 'MyChat <no-reply@mychat.test>', logger });
    const { id } = await mailer.send(message);
    await mailer.close();

    const names = await readdir(outboxDir);
    expect(names).toEqual([`${id}.eml`]); // no temp file left behind
    const file = path.join(outboxDir, names[0] as string);
    const raw = await readFile(file, 'latin1');
    expect(raw).toMatch(/^MIME-Version: 1\.0\r$/m);
    expect(raw).toMatch(/^Message-ID: <.+>\r$/m);
    expect(raw).toMatch(/^Date: .+\r$/m);
    expect(raw).toMatch(/^Content-Type: multipart\/alternative;/m);
    expect(raw).toMatch(/^Subject: =\?UTF-8\?[BQ]\?/m); // encoded word, not raw bytes
    expect(raw).toContain('\r\n'); // RFC 5322 line ends
    expect((await stat(file)).mode & 0o077).toBe(0); // codes inside: owner only

    const parsed = await simpleParser(await readFile(file));
    expect(parsed.subject).toBe(message.subject);
    expect(parsed.text).toContain('482913');
    expect(parsed.text).toContain('您正在注册');
    expect(parsed.html).toContain('<p style="font-size:32px">482913</p>');
    expect(parsed.from?.value[0]).toEqual({ name: 'MyChat', address: 'no-reply@mychat.test' });
    const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
    expect(to?.value[0]?.address).toBe('alice@example.com');
  });

  it('logs one line with the path and a masked recipient, never the subject, body or code', async () => {
    const { logger, lines } = captureLogger();
    const mailer = createOutboxMailer({ outboxDir, from: 'no-reply@mychat.test', logger });
    const { id } = await mailer.send(message);

    expect(lines).toHaveLength(1);
    const line = lines[0] as string;
    const entry = JSON.parse(line) as Record<string, unknown>;
    expect(entry.file).toBe(path.join(outboxDir, `${id}.eml`));
    expect(entry.to).toBe('a***@example.com');
    expect(line).not.toContain('482913');
    expect(line).not.toContain('alice@');
    expect(line).not.toContain('注册'); // subject and body words
    expect(line).not.toContain(JSON.stringify(message.subject).slice(1, -1));
  });

  it('names files in send order, uniquely, so readers see mails in time order', async () => {
    const { logger } = captureLogger();
    const mailer = createOutboxMailer({ outboxDir, from: 'no-reply@mychat.test', logger });
    for (let i = 0; i < 25; i++) {
      await mailer.send({ ...message, to: `user${i}@example.com` });
    }
    const mails = await readOutboxMails(outboxDir);
    expect(mails.map((m) => m.to)).toEqual(Array.from({ length: 25 }, (_, i) => `user${i}@example.com`));
    expect(new Set(mails.map((m) => m.file)).size).toBe(25);
  });
});

describe('maskEmail', () => {
  it('keeps the first character and the domain', () => {
    expect(maskEmail('alice@example.com')).toBe('a***@example.com');
    expect(maskEmail('b@x.org')).toBe('b***@x.org');
    expect(maskEmail('not-an-address')).toBe('***');
  });
});
