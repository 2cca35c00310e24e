import fs from 'node:fs';
import { push } from '@mychat/protocol';
import type { Registry } from 'prom-client';
import type { Bus, BusSubscription } from '../../adapters/bus/bus.js';
import type { Kv } from '../../adapters/kv/kv.js';
import { WindowLimit } from '../../adapters/kv/window-limit.js';
import type { SqlDatabase } from '../../adapters/sql/sql.js';
import { purgeUserRpc } from '../../adapters/sql/user-rows.js';
import { decodeSessionEndedNotice, SESSION_ENDED_CHANNEL } from '../../contracts/session-ended-notice.js';
import type { Clock } from '../../kernel/clock.js';
import { inDataDir } from '../../kernel/config.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Logger } from '../../kernel/logger.js';
import { serves, type ServiceInstance } from '../../rpc/rpc-impl.js';
import type { Peers } from '../../wiring/peers.js';
import { EndpointPolicy, type Resolver } from './push.address.js';
import { UserChannels } from './push.channels.js';
import type { PushConfig } from './push.config.js';
import { PushDispatch } from './push.dispatch.js';
import { pushEncrypter } from './push.encrypt.js';
import { pushMigrations } from './push.migrations.js';
import { PushNotifier } from './push.notifier.js';
import { PushRepository } from './push.repository.js';
import { pushRpc } from './push.rpc.js';
import { PushMetrics, PushSender } from './push.sender.js';
import { PushService } from './push.service.js';
import { loadVapidKeys, VapidSigner } from './push.vapid.js';

interface CommonDeps {
  sql: SqlDatabase;
  kv: Kv;
  bus: Bus;
  metrics: Registry;
  clock: Clock;
  logger: Logger;
  config: PushConfig;
  dataDir: string;
  /** Tests: answers DNS instead of the system resolver. */
  resolver?: Resolver;
}

/**
 * What both halves of the module share: keys, the address policy and the sender (the half that
 * fans out encrypts on `encryptThreads` threads; the service's test pushes on the event loop).
 */
function common(d: CommonDeps, encryptThreads = 0) {
  const c = d.config;
  const keys = loadVapidKeys(inDataDir(d.dataDir, c.vapidKeyFile));
  const policy = new EndpointPolicy(c.allowedPrivateEndpoints, d.resolver);
  const metrics = new PushMetrics(d.metrics);
  const sender = new PushSender({
    policy,
    vapid: new VapidSigner(keys, c.vapidSubject, () => d.clock.now()),
    timeoutMs: c.timeoutMs,
    concurrency: c.concurrency,
    ...(c.caFile && { ca: fs.readFileSync(inDataDir(d.dataDir, c.caFile), 'utf8') }),
    logger: d.logger,
    metrics,
    encrypter: pushEncrypter(encryptThreads, d.logger),
  });
  return { keys, policy, metrics, sender, repo: PushRepository.of(d.sql) };
}

/**
 * The push service (mychat.push.v1.PushService): subscriptions and settings. It also deletes
 * the subscriptions of sessions the auth service ends (logout, revoke, password change or
 * reset, kick), as the notice arrives on the bus; the sender checks sessions again before
 * each push, so a lost notice never lets an ended session ring.
 */
export async function initPush(d: CommonDeps & { ids: IdGenerator }): Promise<ServiceInstance<void>> {
  await d.sql.migrate('push', pushMigrations);
  const { keys, policy, sender, repo, metrics } = common(d);
  const service = new PushService({
    repo,
    policy,
    sender,
    bus: d.bus,
    ids: d.ids,
    clock: d.clock,
    logger: d.logger,
    enabled: d.config.enabled,
    vapidPublicKey: keys.publicKey,
    ttlSeconds: d.config.ttlSeconds,
    testPushes: new WindowLimit(d.kv, 'push:test', 5, 60_000),
    subscribes: new WindowLimit(d.kv, 'push:subscribe', 30, 3_600_000),
  });
  let ended: BusSubscription | undefined;
  return {
    value: undefined,
    rpc: [
      serves(push.PushService, pushRpc(service)),
      serves(
        push.PushInternalService,
        purgeUserRpc(d.sql, ['push_subscriptions', 'push_settings', 'push_held']),
      ),
    ],
    start: async () => {
      ended = await d.bus.subscribe(SESSION_ENDED_CHANNEL, (bytes) => {
        const n = decodeSessionEndedNotice(bytes);
        if (!n) return;
        repo
          .deleteBySessions([n.sessionId])
          .then((gone) => {
            if (gone) {
              metrics.pruned.inc({ reason: 'session' }, gone);
              d.logger.info(
                { user_id: n.userId, session_id: n.sessionId, reason: n.reason },
                'push subscription of an ended session deleted',
              );
            }
          })
          .catch((err: unknown) =>
            d.logger.warn({ err }, 'could not delete an ended session’s push subscription'),
          );
      });
    },
    stop: async () => {
      await ended?.unsubscribe();
      await sender.close();
    },
  };
}

/**
 * The push sender: listens on the bus channels of subscribed users and pushes to those with
 * no live socket. Runs in the `worker` target (any number of processes: each event is
 * claimed once in the kv).
 */
/** What the sender module gives (tests reach into it; nothing else depends on it). */
export interface PushSenderValue {
  notifier: PushNotifier;
  dispatch: PushDispatch;
  channels: UserChannels;
}

export async function initPushSender(
  d: CommonDeps & { peers: Peers<'message' | 'auth'> },
): Promise<ServiceInstance<PushSenderValue>> {
  await d.sql.migrate('push', pushMigrations);
  const { sender, repo, metrics } = common(d, d.config.encryptThreads);
  const c = d.config;
  const names = new Map<string, { name: string; until: number }>();
  const holder: { channels?: UserChannels } = {};
  const dispatch = new PushDispatch({
    repo,
    sender,
    kv: d.kv,
    clock: d.clock,
    logger: d.logger,
    metrics,
    liveSessions: async (ids) => {
      const live = new Set<string>();
      for (let i = 0; i < ids.length; i += 1000) {
        const r = await d.peers.auth.directory.liveSessions({ sessionIds: ids.slice(i, i + 1000) });
        for (const s of r.sessionIds) live.add(s);
      }
      return live;
    },
    onNoSubscriptions: (u) => void holder.channels?.drop(u),
    ttlSeconds: c.ttlSeconds,
    perUserPerMinute: c.perUserPerMinute,
    maxFailures: c.maxFailures,
  });
  const notifier = new PushNotifier({
    repo,
    dispatch,
    kv: d.kv,
    clock: d.clock,
    logger: d.logger,
    metrics,
    coalesceMs: c.coalesceSeconds * 1000,
    peers: {
      context: (conversationId, userIds) =>
        d.peers.message.internal.getPushContext({ conversationId, userIds }),
      nicknames: async (ids) => {
        const now = d.clock.now();
        const out = new Map<string, string>();
        const missing = ids.filter((id) => {
          const hit = names.get(id);
          if (hit && hit.until > now) out.set(id, hit.name);
          return !out.has(id);
        });
        if (missing.length) {
          const r = await d.peers.auth.directory.lookupUsers({ userIds: missing });
          if (names.size > 10_000) names.clear();
          for (const u of r.users) {
            names.set(u.id, { name: u.nickname, until: now + 60_000 });
            out.set(u.id, u.nickname);
          }
        }
        return out;
      },
    },
  });
  const channels = new UserChannels({
    bus: d.bus,
    repo,
    logger: d.logger,
    onDelivery: notifier.onDelivery,
    rescanMs: 60_000,
  });
  holder.channels = channels;
  let release: NodeJS.Timeout | undefined;
  return {
    value: { notifier, dispatch, channels },
    start: async () => {
      if (!c.enabled) return;
      await channels.start();
      notifier.start();
      release = setInterval(() => {
        dispatch.releaseDue().catch((err: unknown) => d.logger.warn({ err }, 'releasing held pushes failed'));
      }, c.releaseIntervalSeconds * 1000);
      release.unref();
    },
    stop: async () => {
      clearInterval(release);
      await channels.stop();
      await notifier.stop();
      await sender.close();
    },
  };
}
