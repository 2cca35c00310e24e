import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../kernel/errors.js';
import { startFakePushService, type FakePushService } from '../../../test/helpers/fake-push-service.js';
import { EndpointPolicy, type Resolver } from './push.address.js';
import { PushMetrics, PushSender } from './push.sender.js';
import { VapidSigner, loadVapidKeys } from './push.vapid.js';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';

const reason = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e instanceof AppError ? e.reason : String(e);
  }
  return 'ok';
};

describe('EndpointPolicy', () => {
  const dns =
    (answers: Record<string, string[]>): Resolver =>
    async (host) => {
      const a = answers[host];
      if (!a) throw new Error('ENOTFOUND');
      return a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    };

  it('refuses every private answer, non-https, other ports and credentials; allows public on 443', async () => {
    const p = new EndpointPolicy(
      [],
      dns({
        'ok.example': ['93.184.216.34'],
        'mixed.example': ['93.184.216.34', '10.0.0.1'],
        'six.example': ['fd00::1'],
      }),
    );
    expect((await p.check('https://ok.example/push/1')).address).toBe('93.184.216.34');
    expect(await reason(p.check('https://mixed.example/x'))).toBe('PUSH_ENDPOINT_REFUSED');
    expect(await reason(p.check('https://six.example/x'))).toBe('PUSH_ENDPOINT_REFUSED');
    expect(await reason(p.check('https://nowhere.example/x'))).toBe('PUSH_ENDPOINT_REFUSED');
    expect(await reason(p.check('http://ok.example/x'))).toBe('PUSH_ENDPOINT_REFUSED');
    expect(await reason(p.check('https://ok.example:8443/x'))).toBe('PUSH_ENDPOINT_REFUSED');
    expect(await reason(p.check('https://a:b@ok.example/x'))).toBe('PUSH_ENDPOINT_REFUSED');
    expect(await reason(p.check('https://127.0.0.1/x'))).toBe('PUSH_ENDPOINT_REFUSED');
    expect(await reason(p.check('https://[::ffff:127.0.0.1]/x'))).toBe('PUSH_ENDPOINT_REFUSED');
    expect(await reason(p.check('https://[::1]/x'))).toBe('PUSH_ENDPOINT_REFUSED');
    expect(await reason(p.check('https://2130706433/x'))).toBe('PUSH_ENDPOINT_REFUSED');
    expect(await reason(p.check('javascript:alert(1)'))).toBe('PUSH_ENDPOINT_REFUSED');
  });

  it('lets the operator list private addresses (any port then)', async () => {
    const p = new EndpointPolicy(['127.0.0.1/32'], dns({}));
    expect((await p.check('https://127.0.0.1:9999/x')).address).toBe('127.0.0.1');
    expect(await reason(p.check('https://127.0.0.2:9999/x'))).toBe('PUSH_ENDPOINT_REFUSED');
  });

  it('times out a DNS lookup that hangs', async () => {
    const p = new EndpointPolicy([], () => new Promise(() => undefined), 50);
    expect(await reason(p.check('https://slow.example/x'))).toBe('PUSH_ENDPOINT_REFUSED');
  });
});

describe('PushSender against a fake push service', () => {
  let fake: FakePushService;
  let dir: string;
  const logger = pino({ level: 'silent' });
  beforeAll(async () => {
    fake = await startFakePushService();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-vapid-'));
  });
  afterAll(async () => {
    await fake.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const senderWith = (policy: EndpointPolicy) =>
    new PushSender({
      policy,
      vapid: new VapidSigner(loadVapidKeys(path.join(dir, 'v.pem')), 'mailto:a@example.com', Date.now),
      timeoutMs: 2000,
      concurrency: 4,
      ca: fake.certPem,
      logger,
      metrics: new PushMetrics(new Registry()),
    });

  it('connects to the address it checked, whatever DNS answers next (no rebinding)', async () => {
    const s = fake.subscription();
    const port = new URL(fake.origin).port;
    // push.test resolves to a listed loopback address once, then to an address that is not.
    let calls = 0;
    const policy = new EndpointPolicy(['127.0.0.1/32'], async () => [
      { address: calls++ === 0 ? '127.0.0.1' : '10.9.9.9', family: 4 },
    ]);
    const sender = senderWith(policy);
    const target = {
      id: '1',
      endpoint: `https://push.test:${port}/push/${s.id}`,
      p256dh: s.p256dh,
      auth: s.auth,
    };
    expect(await sender.send(target, '{"v":1}', { urgency: 'low', ttlSeconds: 60, topic: 't1' })).toBe('ok');
    const [got] = await fake.waitFor(1, s.id);
    expect(got!.jwt.aud).toBe(`https://push.test:${port}`);
    expect(got!.headers.urgency).toBe('low');
    // The answer changed: the send is refused before any connection is made.
    expect(await sender.send(target, '{"v":1}', { urgency: 'low', ttlSeconds: 60 })).toBe('refused');
    expect(fake.for(s.id)).toHaveLength(1);
    sender.close();
  });

  it('refuses at send time a loopback endpoint that no operator listed', async () => {
    const s = fake.subscription();
    const sender = senderWith(new EndpointPolicy([]));
    expect(await sender.send({ id: '2', ...s }, '{}', { urgency: 'normal', ttlSeconds: 60 })).toBe('refused');
    expect(fake.for(s.id)).toEqual([]);
    sender.close();
  });

  it('gives up on a push service that does not answer in time, and reads at most 4 KiB of an answer', async () => {
    const https = await import('node:https');
    let mode: 'hang' | 'flood' = 'hang';
    let sentBytes = 0;
    const slow = https.createServer({ key: fake.keyPem, cert: fake.certPem }, (req, res) => {
      req.resume();
      if (mode === 'hang') return;
      res.writeHead(201);
      const chunk = Buffer.alloc(64 * 1024, 120);
      const pump = () => {
        while (sentBytes < 64 * 1024 * 1024 && res.write(chunk)) sentBytes += chunk.length;
      };
      res.on('drain', pump);
      pump();
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const port = (slow.address() as { port: number }).port;
    const s = fake.subscription();
    const sender = new PushSender({
      policy: new EndpointPolicy(['127.0.0.1/32']),
      vapid: new VapidSigner(loadVapidKeys(path.join(dir, 'v.pem')), 'mailto:a@example.com', Date.now),
      timeoutMs: 300,
      concurrency: 4,
      ca: fake.certPem,
      logger,
      metrics: new PushMetrics(new Registry()),
    });
    const target = { id: 't', endpoint: `https://127.0.0.1:${port}/x`, p256dh: s.p256dh, auth: s.auth };
    const t0 = Date.now();
    expect(await sender.send(target, '{}', { urgency: 'normal', ttlSeconds: 60 })).toBe('failed');
    // The cap is 300 ms; the bound only tells it from no cap at all (a hang), on a loaded machine.
    expect(Date.now() - t0).toBeLessThan(10_000);
    mode = 'flood';
    expect(await sender.send(target, '{}', { urgency: 'normal', ttlSeconds: 60 })).toBe('ok');
    expect(sentBytes).toBeLessThan(64 * 1024 * 1024);
    sender.close();
    slow.closeAllConnections();
    await new Promise((r) => slow.close(r));
  });

  it('says gone on 404 and 410, failed on other answers', async () => {
    const sender = senderWith(new EndpointPolicy(['127.0.0.1/32']));
    for (const [status, want] of [
      [404, 'gone'],
      [410, 'gone'],
      [500, 'failed'],
      [301, 'failed'],
      [429, 'failed'],
    ] as const) {
      const s = fake.subscription();
      fake.answer(s.id, status);
      expect(await sender.send({ id: 'x', ...s }, '{}', { urgency: 'normal', ttlSeconds: 60 })).toBe(want);
    }
    sender.close();
  });
});
