import https from 'node:https';
import { Counter, Histogram, type Registry } from 'prom-client';
import { AppError } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';
import type { EndpointPolicy } from './push.address.js';
import { InlineEncrypter, type PushEncrypter } from './push.encrypt.js';
import { postPinned } from './push.http.js';
import type { VapidSigner } from './push.vapid.js';

/** What a push needs of a subscription. */
export interface PushTarget {
  id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
}

export interface PushOptions {
  /** At most 32 base64url characters; a newer push with the same topic replaces an undelivered one. */
  topic?: string;
  urgency: 'very-low' | 'low' | 'normal' | 'high';
  ttlSeconds: number;
}

/**
 * ok: accepted; gone: 404/410, the subscription is dead; refused: the endpoint no longer
 * passes the address check (say its DNS now answers a private address); failed: anything
 * else (try again with the next push).
 */
export type PushOutcome = 'ok' | 'gone' | 'refused' | 'failed';

/** The `mychat_push_*` metrics. */
export class PushMetrics {
  readonly sent: Counter<'kind'>;
  readonly failed: Counter<'reason'>;
  readonly pruned: Counter<'reason'>;
  readonly skipped: Counter<'reason'>;
  readonly latency: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    const metric = <T>(name: string, make: () => T): T =>
      (registry.getSingleMetric(name) as T | undefined) ?? make();
    this.sent = metric(
      'mychat_push_sent_total',
      () =>
        new Counter({
          name: 'mychat_push_sent_total',
          help: 'Pushes a push service accepted',
          labelNames: ['kind'],
          registers,
        }),
    );
    this.failed = metric(
      'mychat_push_failed_total',
      () =>
        new Counter({
          name: 'mychat_push_failed_total',
          help: 'Pushes not accepted (status: the push service said no; network: no answer)',
          labelNames: ['reason'],
          registers,
        }),
    );
    this.pruned = metric(
      'mychat_push_pruned_total',
      () =>
        new Counter({
          name: 'mychat_push_pruned_total',
          help: 'Subscriptions deleted by the sender (gone: 404/410; refused: endpoint no longer allowed; failures; session ended)',
          labelNames: ['reason'],
          registers,
        }),
    );
    this.skipped = metric(
      'mychat_push_skipped_total',
      () =>
        new Counter({
          name: 'mychat_push_skipped_total',
          help: 'Notifications not sent (muted, rate, coalesced) or held (dnd)',
          labelNames: ['reason'],
          registers,
        }),
    );
    this.latency = metric(
      'mychat_push_latency_seconds',
      () =>
        new Histogram({
          name: 'mychat_push_latency_seconds',
          help: 'From the event (message stored) to the push service answering',
          buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
          registers,
        }),
    );
  }
}

export interface PushSenderDeps {
  policy: EndpointPolicy;
  vapid: VapidSigner;
  timeoutMs: number;
  concurrency: number;
  ca?: string;
  logger: Logger;
  metrics: PushMetrics;
  /** Where pushes are encrypted (default: on the event loop). */
  encrypter?: PushEncrypter;
}

/**
 * Encrypts (aes128gcm, RFC 8291: web-push's generateRequestDetails, on a thread of its own
 * when configured) and signs (VAPID) one push, and sends it itself to the address the endpoint
 * check returned.
 */
export class PushSender {
  private readonly agent: https.Agent;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly encrypter: PushEncrypter;

  constructor(private readonly d: PushSenderDeps) {
    this.encrypter = d.encrypter ?? new InlineEncrypter();
    this.agent = new https.Agent({ keepAlive: true, maxSockets: d.concurrency, ca: d.ca });
  }

  async send(target: PushTarget, payload: string, o: PushOptions): Promise<PushOutcome> {
    await this.slot();
    try {
      return await this.sendNow(target, payload, o);
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }

  private async slot(): Promise<void> {
    if (this.inFlight < this.d.concurrency) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
    this.inFlight++;
  }

  private async sendNow(target: PushTarget, payload: string, o: PushOptions): Promise<PushOutcome> {
    let pinned;
    try {
      pinned = await this.d.policy.check(target.endpoint);
    } catch (err) {
      if (err instanceof AppError) return 'refused';
      throw err;
    }
    const details = await this.encrypter.encrypt(
      { endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } },
      payload,
      {
        TTL: o.ttlSeconds,
        urgency: o.urgency,
        contentEncoding: 'aes128gcm',
        ...(o.topic && { topic: o.topic }),
      },
    );
    const headers = details.headers;
    headers.Authorization = this.d.vapid.header(pinned.url.origin);
    try {
      const answer = await postPinned(pinned, headers, details.body, {
        timeoutMs: this.d.timeoutMs,
        agent: this.agent,
      });
      if (answer.status >= 200 && answer.status < 300) return 'ok';
      if (answer.status === 404 || answer.status === 410) return 'gone';
      this.d.metrics.failed.inc({ reason: 'status' });
      this.d.logger.warn(
        { subscription_id: target.id, status: answer.status, push_service: pinned.url.host },
        'push service refused a push',
      );
      return 'failed';
    } catch (err) {
      this.d.metrics.failed.inc({ reason: 'network' });
      this.d.logger.warn(
        { subscription_id: target.id, err: (err as Error).message, push_service: pinned.url.host },
        'push service unreachable',
      );
      return 'failed';
    }
  }

  async close(): Promise<void> {
    this.agent.destroy();
    await this.encrypter.close();
  }
}
