import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

import { createHttpSms } from './http.sms.js';
import { openSms } from './open-sms.js';
import { SmsSendError } from './sms.js';

interface Seen {
  method: string | undefined;
  path: string | undefined;
  headers: IncomingMessage['headers'];
  body: unknown;
}

const servers: Server[] = [];

async function startProvider(respond: (res: ServerResponse) => void) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method,
        path: req.url,
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
      });
      respond(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/sms`, port, seen };
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

const logger = pino({ level: 'silent' });
const message = { to: '+8613812345678', text: '【MyChat】您的注册验证码是 904417' };

describe('http sms', () => {
  it('POSTs {to, text} as JSON with the bearer token and returns the provider id', async () => {
    const provider = await startProvider((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'prov-42' }));
    });
    const sms = createHttpSms({ url: provider.url, token: 'tok-123', logger });
    expect(await sms.send(message)).toEqual({ id: 'prov-42' });
    expect(provider.seen).toHaveLength(1);
    const seen = provider.seen[0] as Seen;
    expect(seen.method).toBe('POST');
    expect(seen.path).toBe('/v1/sms');
    expect(seen.headers.authorization).toBe('Bearer tok-123');
    expect(seen.headers['content-type']).toBe('application/json');
    expect(seen.body).toEqual({ to: '+8613812345678', text: '【MyChat】您的注册验证码是 904417' });
  });

  it('sends no Authorization header without a token and makes up an id when the provider gives none', async () => {
    const provider = await startProvider((res) => res.writeHead(202).end());
    const sms = await openSms({ httpUrl: provider.url, outboxDir: '/nonexistent', logger });
    const { id } = await sms.send(message);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect((provider.seen[0] as Seen).headers.authorization).toBeUndefined();
  });

  it('turns a non-2xx answer into an error naming the status, not the text or the response body', async () => {
    const provider = await startProvider((res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('quota exceeded for account acme-secret');
    });
    const sms = createHttpSms({ url: provider.url, token: 'tok-123', logger });
    const err = (await sms.send(message).catch((e: unknown) => e)) as SmsSendError;
    expect(err).toBeInstanceOf(SmsSendError);
    expect(err.reason).toBe('rejected');
    expect(err.status).toBe(503);
    expect(err.message).toBe(`SMS provider http://127.0.0.1:${provider.port} answered HTTP 503`);
    for (const secret of ['904417', 'acme-secret', 'tok-123', '13812345678']) {
      expect(err.message).not.toContain(secret);
    }
  });

  it('gives up after the timeout', async () => {
    const provider = await startProvider(() => {
      // never answers
    });
    const sms = createHttpSms({ url: provider.url, logger, timeoutMs: 200 });
    const started = Date.now();
    const err = (await sms.send(message).catch((e: unknown) => e)) as SmsSendError;
    expect(err).toBeInstanceOf(SmsSendError);
    expect(err.reason).toBe('timeout');
    expect(err.message).toContain('did not answer within 200 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reports an unreachable provider as a connection error', async () => {
    const provider = await startProvider((res) => res.end());
    const s = servers.splice(0)[0] as Server;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    const sms = createHttpSms({ url: provider.url, logger });
    const err = (await sms.send(message).catch((e: unknown) => e)) as SmsSendError;
    expect(err).toBeInstanceOf(SmsSendError);
    expect(err.reason).toBe('connection');
  });

  it('aborts sends in flight on close', async () => {
    const provider = await startProvider(() => {});
    const sms = createHttpSms({ url: provider.url, logger, timeoutMs: 10_000 });
    const pending = sms.send(message).catch((e: unknown) => e);
    while (provider.seen.length === 0) await new Promise((r) => setTimeout(r, 10));
    await sms.close();
    const err = (await pending) as SmsSendError;
    expect(err).toBeInstanceOf(SmsSendError);
    expect(err.message).toBe('SMS sender closed while sending');
  });

  it('rejects a malformed URL without repeating it', () => {
    expect(() => createHttpSms({ url: 'http://exa mple.com/?key=sekrit', logger })).toThrow(
      /not a valid URL/,
    );
    expect(() => createHttpSms({ url: 'http://exa mple.com/?key=sekrit', logger })).not.toThrow(/sekrit/);
  });
});
