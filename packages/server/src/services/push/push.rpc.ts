import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import { push } from '@mychat/protocol';
import { errors } from '../../kernel/errors.js';
import { requireCaller } from '../../rpc/call-context.js';
import { MAX_ENDPOINT_LENGTH } from './push.address.js';
import type { SettingsRow, SubscriptionRow } from './push.repository.js';
import type { PushService } from './push.service.js';

function settingsMsg(s: SettingsRow): push.PushSettings {
  return create(push.PushSettingsSchema, {
    preview: s.preview,
    dndEnabled: s.dndEnabled,
    dndStartMinute: s.dndStart,
    dndEndMinute: s.dndEnd,
    timeZone: s.timeZone,
  });
}

/** The host of an endpoint (the push service), never the endpoint's secret path. */
const pushServiceOf = (endpoint: string) => {
  try {
    return new URL(endpoint).host;
  } catch {
    return '';
  }
};

function subscriptionMsg(s: SubscriptionRow, currentSession: string): push.PushSubscription {
  return create(push.PushSubscriptionSchema, {
    id: s.id,
    sessionId: s.sessionId,
    clientType: s.clientType,
    deviceName: s.deviceName,
    pushService: pushServiceOf(s.endpoint),
    createdAt: timestampFromMs(s.createdAt),
    ...(s.lastOkAt > 0 && { lastOkAt: timestampFromMs(s.lastOkAt) }),
    current: s.sessionId === currentSession,
  });
}

const KEY_CHARS = 200;

/** mychat.push.v1.PushService: parse and validate, call, shape the answer. */
export function pushRpc(service: PushService): ServiceImpl<typeof push.PushService> {
  return {
    async getPushConfig(_req, ctx) {
      const c = await service.config(requireCaller(ctx));
      return {
        enabled: c.enabled,
        vapidPublicKey: c.vapidPublicKey,
        settings: settingsMsg(c.settings),
        subscribed: c.subscribed,
      };
    },
    async subscribePush(req, ctx) {
      const caller = requireCaller(ctx);
      if (req.endpoint.length > MAX_ENDPOINT_LENGTH) throw errors.tooLong('endpoint', MAX_ENDPOINT_LENGTH);
      if (!req.endpoint) throw errors.invalidArgument('endpoint is required', 'endpoint');
      if (req.p256dh.length > KEY_CHARS) throw errors.tooLong('p256dh', KEY_CHARS);
      if (req.auth.length > KEY_CHARS) throw errors.tooLong('auth', KEY_CHARS);
      if (req.deviceName.length > 256) throw errors.tooLong('deviceName', 64);
      const row = await service.subscribe(caller, req);
      return { subscription: subscriptionMsg(row, caller.sessionId) };
    },
    async unsubscribePush(req, ctx) {
      const caller = requireCaller(ctx);
      if (req.endpoint.length > MAX_ENDPOINT_LENGTH) throw errors.tooLong('endpoint', MAX_ENDPOINT_LENGTH);
      return { deleted: await service.unsubscribe(caller, req.endpoint) };
    },
    async listPushSubscriptions(_req, ctx) {
      const caller = requireCaller(ctx);
      const rows = await service.list(caller);
      return { subscriptions: rows.map((r) => subscriptionMsg(r, caller.sessionId)) };
    },
    async updatePushSettings(req, ctx) {
      const caller = requireCaller(ctx);
      const s = await service.updateSettings(caller, {
        ...(req.preview !== undefined && { preview: req.preview }),
        ...(req.dndEnabled !== undefined && { dndEnabled: req.dndEnabled }),
        ...(req.dndStartMinute !== undefined && { dndStart: req.dndStartMinute }),
        ...(req.dndEndMinute !== undefined && { dndEnd: req.dndEndMinute }),
        ...(req.timeZone !== undefined && { timeZone: req.timeZone }),
      });
      return { settings: settingsMsg(s) };
    },
    async sendTestPush(_req, ctx) {
      return { accepted: (await service.sendTest(requireCaller(ctx))) === 'ok' };
    },
  };
}
