import { createECDH } from 'node:crypto';
import type { Bus } from '../../adapters/bus/bus.js';
import type { WindowLimit } from '../../adapters/kv/window-limit.js';
import type { Clock } from '../../kernel/clock.js';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Logger } from '../../kernel/logger.js';
import type { Caller } from '../../rpc/call-context.js';
import type { EndpointPolicy } from './push.address.js';
import { isTimeZone } from './push.dnd.js';
import { encodePayload } from './push.payload.js';
import {
  DEFAULT_SETTINGS,
  type PushRepository,
  type SettingsRow,
  type SubscriptionRow,
} from './push.repository.js';
import type { PushOutcome, PushSender } from './push.sender.js';

/** The bus channel on which a new subscription's user id is announced to the push senders. */
export const PUSH_SUBSCRIBED_CHANNEL = 'push:subscribed';

export interface PushServiceDeps {
  repo: PushRepository;
  policy: EndpointPolicy;
  sender: PushSender;
  bus: Bus;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
  enabled: boolean;
  vapidPublicKey: string;
  ttlSeconds: number;
  testPushes: WindowLimit;
  /** SubscribePush calls per user (each resolves a host name the caller chose). */
  subscribes: WindowLimit;
}

const keysInvalid = (field: string, message: string) =>
  new AppError(ErrorCode.PUSH_KEYS_INVALID, message, { field });

function b64url(value: string, field: string): Buffer {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(value)) throw keysInvalid(field, `${field} must be base64url`);
  return Buffer.from(value.replace(/=+$/, ''), 'base64url');
}

/** Checks the browser's keys: a P-256 point on the curve and a 16-byte auth secret. */
export function checkKeys(p256dh: string, auth: string): void {
  const point = b64url(p256dh, 'p256dh');
  if (point.length !== 65 || point[0] !== 4)
    throw keysInvalid('p256dh', 'p256dh must be an uncompressed P-256 point');
  try {
    // Refuses a point that is not on the curve.
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    ecdh.computeSecret(point);
  } catch {
    throw keysInvalid('p256dh', 'p256dh is not a point of P-256');
  }
  if (b64url(auth, 'auth').length !== 16) throw keysInvalid('auth', 'auth must be 16 bytes');
}

const CONTROL = /[\u0000-\u001f\u007f]/g; // eslint-disable-line no-control-regex

/** Subscriptions and settings of the caller: the PushService methods. */
export class PushService {
  constructor(private readonly d: PushServiceDeps) {}

  private requireEnabled(): void {
    if (!this.d.enabled)
      throw new AppError(ErrorCode.PUSH_DISABLED, 'push notifications are turned off on this server');
  }

  async config(caller: Caller) {
    const [settings, mine] = await Promise.all([
      this.d.repo.settings(caller.userId),
      this.d.enabled ? this.d.repo.bySession(caller.sessionId) : undefined,
    ]);
    return {
      enabled: this.d.enabled,
      vapidPublicKey: this.d.enabled ? this.d.vapidPublicKey : '',
      settings,
      subscribed: !!mine,
    };
  }

  async subscribe(
    caller: Caller,
    input: { endpoint: string; p256dh: string; auth: string; deviceName: string },
  ): Promise<SubscriptionRow> {
    this.requireEnabled();
    const wait = await this.d.subscribes.hit(caller.userId);
    if (wait !== undefined) throw errors.rateLimited(wait, 'too many push subscriptions; try again later');
    const deviceName = input.deviceName.replace(CONTROL, '').trim();
    if ([...deviceName].length > 64) throw errors.tooLong('deviceName', 64);
    checkKeys(input.p256dh, input.auth);
    // Resolves the host and refuses anything but public addresses (or the operator's list).
    await this.d.policy.check(input.endpoint);
    const row: SubscriptionRow = {
      id: this.d.ids.next(),
      userId: caller.userId,
      sessionId: caller.sessionId,
      clientType: caller.clientType,
      deviceName,
      endpoint: input.endpoint,
      p256dh: input.p256dh.replace(/=+$/, ''),
      auth: input.auth.replace(/=+$/, ''),
      createdAt: this.d.clock.now(),
      lastOkAt: 0,
      failures: 0,
    };
    await this.d.repo.saveSubscription(row);
    this.d.logger.info(
      { user_id: caller.userId, session_id: caller.sessionId, subscription_id: row.id },
      'push subscription saved',
    );
    // The senders start listening for this user (they also rescan the table now and then).
    await this.d.bus.publish(PUSH_SUBSCRIBED_CHANNEL, Buffer.from(caller.userId)).catch((err: unknown) => {
      this.d.logger.warn({ err }, 'could not announce a push subscription');
    });
    return row;
  }

  async unsubscribe(caller: Caller, endpoint: string): Promise<boolean> {
    if (!endpoint) return (await this.d.repo.deleteBySessions([caller.sessionId])) > 0;
    return this.d.repo.deleteByEndpoint(caller.userId, endpoint);
  }

  list(caller: Caller): Promise<SubscriptionRow[]> {
    return this.d.repo.byUser(caller.userId);
  }

  async updateSettings(caller: Caller, patch: Partial<SettingsRow>): Promise<SettingsRow> {
    for (const f of ['dndStart', 'dndEnd'] as const) {
      const v = patch[f];
      if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 1439))
        throw errors.invalidArgument(
          `${f === 'dndStart' ? 'dndStartMinute' : 'dndEndMinute'} must be 0-1439`,
          f === 'dndStart' ? 'dndStartMinute' : 'dndEndMinute',
        );
    }
    if (patch.timeZone !== undefined && !isTimeZone(patch.timeZone))
      throw errors.invalidArgument('timeZone must be an IANA time zone such as Asia/Shanghai', 'timeZone');
    const current = await this.d.repo.settings(caller.userId);
    const next: SettingsRow = { ...DEFAULT_SETTINGS, ...current };
    for (const [k, v] of Object.entries(patch))
      if (v !== undefined) (next as unknown as Record<string, unknown>)[k] = v;
    await this.d.repo.saveSettings(caller.userId, next, this.d.clock.now());
    return next;
  }

  /** Sends a test notification to the caller's session's subscription. */
  async sendTest(caller: Caller): Promise<PushOutcome> {
    this.requireEnabled();
    const wait = await this.d.testPushes.hit(caller.userId);
    if (wait !== undefined)
      throw errors.rateLimited(wait, 'too many test notifications; try again in a minute');
    const sub = await this.d.repo.bySession(caller.sessionId);
    if (!sub) throw errors.notFound('this device has no push subscription');
    const outcome = await this.d.sender.send(
      sub,
      encodePayload({ v: 1, kind: 'test', url: '/me/settings', at: this.d.clock.now() }),
      { urgency: 'high', ttlSeconds: 60, topic: 'test' },
    );
    if (outcome === 'gone' || outcome === 'refused') await this.d.repo.deleteById(sub.id);
    else if (outcome === 'ok') await this.d.repo.markOk(sub.id, this.d.clock.now());
    return outcome;
  }
}
