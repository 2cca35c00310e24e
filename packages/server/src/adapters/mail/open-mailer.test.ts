import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { pino } from 'pino';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';

import { openMailer } from './open-mailer.js';

const logger = pino({ level: 'silent' });
const message = { to: 'carol@example.com', subject: 'hi', text: 'hello', html: '<p>hello</p>' };

describe('openMailer', () => {
  let root: string | undefined;
  let server: SMTPServer | undefined;
  afterEach(async () => {
    if (root) await rm(root, { recursive: true, force: true });
    if (server) await new Promise<void>((resolve) => server?.close(() => resolve()));
    root = undefined;
    server = undefined;
  });

  it('writes to the outbox when no SMTP URL is configured', async () => {
    root = await mkdtemp(path.join(tmpdir(), 'mychat-open-mail-'));
    const mailer = await openMailer({ from: 'no-reply@mychat.test', outboxDir: root, logger });
    const { id } = await mailer.send(message);
    expect(await readdir(root)).toEqual([`${id}.eml`]);
  });

  it('sends through SMTP when a URL is configured, and writes no file', async () => {
    root = await mkdtemp(path.join(tmpdir(), 'mychat-open-mail-'));
    const rcpts: string[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, cb) {
        rcpts.push(address.address);
        cb();
      },
      onData(stream, _session, cb) {
        stream.resume();
        stream.on('end', () => cb());
      },
    });
    server = smtp;
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const { port } = smtp.server.address() as AddressInfo;
    const mailer = await openMailer({
      smtpUrl: `smtp://127.0.0.1:${port}`,
      from: 'no-reply@mychat.test',
      outboxDir: root,
      logger,
    });
    await mailer.send(message);
    await mailer.close();
    expect(rcpts).toEqual(['carol@example.com']);
    expect(await readdir(root)).toEqual([]);
  });
});
