import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { auth } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { device, PASSWORD, uniqueEmail } from '../../../test/helpers/auth-helpers.js';
import { extractCode } from '../../../test/helpers/outbox.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';

/** Verification mail through a real SMTP server, read back and used to sign up. */
describe('auth over a real SMTP server', () => {
  let smtp: SMTPServer;
  let server: TestServer;
  const received: { envelopeTo: string[]; mail: ParsedMail; user?: string }[] = [];

  beforeAll(async () => {
    smtp = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      onAuth(a, _session, cb) {
        if (a.username === 'mychat' && a.password === 's3cret-smtp') cb(null, { user: a.username });
        else cb(new Error('bad credentials'));
      },
      onData(stream, session, cb) {
        simpleParser(stream).then((mail) => {
          received.push({
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            mail,
            user: session.user as string,
          });
          cb();
        }, cb);
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    const port = (smtp.server.address() as AddressInfo).port;
    server = await startTestServer({
      overrides: {
        smtp: { url: `smtp://mychat:s3cret-smtp@127.0.0.1:${port}` },
        mail: { from: 'MyChat <hello@chat.example>' },
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await new Promise<void>((r) => smtp.close(() => r()));
  });

  it('delivers a bilingual code mail over SMTP that signs a person up', async () => {
    const api = server.client(auth.AuthService);
    const email = uniqueEmail('smtp');
    await api.sendVerificationCode({
      destination: { case: 'email', value: email },
      purpose: 'register',
      locale: 'zh-CN',
    });
    await expect.poll(() => received.length, { timeout: 5000 }).toBe(1);
    const { mail, envelopeTo, user } = received[0]!;
    expect(user).toBe('mychat');
    expect(envelopeTo).toEqual([email]);
    expect(mail.from?.text).toContain('hello@chat.example');
    expect(mail.subject).toMatch(/[\u4e00-\u9fff]/);
    expect(mail.html).toBeTruthy();
    const code = extractCode(mail.text ?? '');
    expect(mail.html).toContain(code);

    const r = await api.register({
      destination: { case: 'email', value: email },
      code,
      password: PASSWORD,
      nickname: 'Smtp',
      device: device(),
    });
    expect(r.session?.user?.email).toBe(email);
    // Nothing went to the outbox, and no log line holds the code or the SMTP password.
    const logs = server.logs.join('\n');
    expect(logs).not.toContain(code);
    expect(logs).not.toContain('s3cret-smtp');
  });
});
