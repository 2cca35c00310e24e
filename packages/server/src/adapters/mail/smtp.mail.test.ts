import type { AddressInfo } from 'node:net';

import { simpleParser, type ParsedMail } from 'mailparser';
import { pino } from 'pino';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';

import { MailSendError } from './mail.js';
import { createSmtpMailer } from './smtp.mail.js';
import { parseSmtpUrl } from './smtp-url.js';

function captureLogger() {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (s: string) => void lines.push(s) });
  return { logger, lines };
}

interface Received {
  from: string;
  to: string[];
  user: string | undefined;
  mail: ParsedMail;
}

const servers: SMTPServer[] = [];

async function startServer(options: SMTPServerOptions = {}) {
  const received: Received[] = [];
  const auths: { user: string; pass: string }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, cb) {
      auths.push({ user: auth.username ?? '', pass: auth.password ?? '' });
      if (auth.username === 'mychat' && auth.password === 'p@ss:word') cb(null, { user: auth.username });
      else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, cb) {
      simpleParser(stream).then(
        (mail) => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            user: session.user as string | undefined,
            mail,
          });
          cb();
        },
        (err: Error) => cb(err),
      );
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const { port } = server.server.address() as AddressInfo;
  return { port, received, auths };
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

const message = {
  to: 'bob@example.com',
  subject: 'Your MyChat sign-in code',
  text: 'Enter this code to sign in: 615204',
  html: '<p>Enter this code to sign in:</p><p>615204</p>',
};

describe('smtp mailer', () => {
  it('delivers through a real SMTP server with authentication, and logs no secrets', async () => {
    const { port, received, auths } = await startServer();
    const { logger, lines } = captureLogger();
    const mailer = createSmtpMailer({
      url: `smtp://mychat:p%40ss%3Aword@127.0.0.1:${port}`,
      from: 'MyChat <no-reply@mychat.test>',
      logger,
    });
    const { id } = await mailer.send(message);
    await mailer.close();

    expect(auths).toEqual([{ user: 'mychat', pass: 'p@ss:word' }]); // percent-decoded
    expect(received).toHaveLength(1);
    const got = received[0] as Received;
    expect(got.user).toBe('mychat');
    expect(got.from).toBe('no-reply@mychat.test');
    expect(got.to).toEqual(['bob@example.com']);
    expect(got.mail.subject).toBe(message.subject);
    expect(got.mail.text).toContain('615204');
    expect(got.mail.html).toContain('<p>615204</p>');
    expect(got.mail.from?.value[0]).toEqual({ name: 'MyChat', address: 'no-reply@mychat.test' });
    expect(got.mail.messageId).toBe(id);

    const log = lines.join('');
    expect(log).toContain('b***@example.com');
    for (const secret of ['p@ss', 'p%40ss', '615204', message.subject, 'bob@']) {
      expect(log).not.toContain(secret);
    }
  });

  it('turns a rejected recipient into a clear MailSendError', async () => {
    const { port, received } = await startServer({
      onRcptTo(_address, _session, cb) {
        cb(Object.assign(new Error('No such user here'), { responseCode: 550 }));
      },
    });
    const { logger } = captureLogger();
    const mailer = createSmtpMailer({
      url: `smtp://127.0.0.1:${port}`,
      from: 'no-reply@mychat.test',
      logger,
    });
    const err = await mailer.send(message).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MailSendError);
    expect((err as MailSendError).reason).toBe('rejected');
    expect((err as MailSendError).message).toBe(
      `SMTP server 127.0.0.1:${port} rejected mail to b***@example.com (SMTP 550)`,
    );
    expect(received).toHaveLength(0);
  });

  it('reports failed authentication without the password', async () => {
    const { port } = await startServer();
    const { logger } = captureLogger();
    const mailer = createSmtpMailer({
      url: `smtp://mychat:wrong-secret@127.0.0.1:${port}`,
      from: 'no-reply@mychat.test',
      logger,
    });
    const err = (await mailer.send(message).catch((e: unknown) => e)) as MailSendError;
    expect(err).toBeInstanceOf(MailSendError);
    expect(err.reason).toBe('auth');
    expect(err.message).toContain('535');
    expect(err.message).not.toContain('wrong-secret');
  });

  it('upgrades with STARTTLS when offered and verifies the certificate; ignoreTLS opts out', async () => {
    // smtp-server's built-in certificate is self-signed, so a verified upgrade must fail
    const { port, received } = await startServer({ disabledCommands: [] });
    const { logger } = captureLogger();
    const strict = createSmtpMailer({
      url: `smtp://127.0.0.1:${port}`,
      from: 'no-reply@mychat.test',
      logger,
    });
    const err = (await strict.send(message).catch((e: unknown) => e)) as MailSendError;
    expect(err).toBeInstanceOf(MailSendError);
    expect(err.reason).toBe('tls');
    expect(received).toHaveLength(0);

    const plain = createSmtpMailer({
      url: `smtp://127.0.0.1:${port}?ignoreTLS=true`,
      from: 'no-reply@mychat.test',
      logger,
    });
    await plain.send(message);
    expect(received).toHaveLength(1);
  });

  it('reports an unreachable server as a connection error', async () => {
    const { port } = await startServer();
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    const { logger } = captureLogger();
    const mailer = createSmtpMailer({
      url: `smtp://127.0.0.1:${port}`,
      from: 'no-reply@mychat.test',
      logger,
    });
    const err = (await mailer.send(message).catch((e: unknown) => e)) as MailSendError;
    expect(err).toBeInstanceOf(MailSendError);
    expect(err.reason).toBe('connection');
    expect(err.message).toBe(`could not talk to SMTP server 127.0.0.1:${port}`);
  });
});

describe('parseSmtpUrl', () => {
  it('reads ports, TLS mode and credentials', () => {
    expect(parseSmtpUrl('smtps://u:p@mail.example.com')).toEqual({
      host: 'mail.example.com',
      port: 465,
      secure: true,
      ignoreTLS: false,
      requireTLS: false,
      auth: { user: 'u', pass: 'p' },
    });
    expect(parseSmtpUrl('smtp://mail.example.com?requireTLS=true')).toMatchObject({
      port: 587,
      secure: false,
      requireTLS: true,
    });
    expect(parseSmtpUrl('smtp://mail.example.com').auth).toBeUndefined();
  });

  it('rejects bad URLs without repeating the password', () => {
    const bad = [
      'smtp://u:hunter2@exa mple.com',
      'http://u:hunter2@example.com',
      'smtp://u:hunter2@h?tls=no',
    ];
    for (const url of bad) {
      expect(() => parseSmtpUrl(url)).toThrow(/mail SMTP URL/);
      expect(() => parseSmtpUrl(url)).not.toThrow(/hunter2/);
    }
    expect(() => parseSmtpUrl('smtp://h?ignoreTLS=true&requireTLS=true')).toThrow(/contradict/);
  });
});
