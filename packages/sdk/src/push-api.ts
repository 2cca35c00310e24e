import type { Client } from '@connectrpc/connect';
import type { push } from '@mychat/protocol';
import type { Authed } from './chat-backend.js';
import { ms } from './mappers.js';

/** Preview and do-not-disturb, as the server keeps them for the user. */
export interface PushSettings {
  /** Show the first words of text messages in notifications (off by default). */
  preview: boolean;
  dndEnabled: boolean;
  /** Minutes after local midnight (0-1439) in `timeZone`; start after end spans midnight. */
  dndStartMinute: number;
  dndEndMinute: number;
  /** IANA time zone, e.g. "Asia/Shanghai". */
  timeZone: string;
}

export interface PushConfig {
  enabled: boolean;
  /** The VAPID public key (base64url): PushManager.subscribe's applicationServerKey. */
  vapidPublicKey: string;
  settings: PushSettings;
  /** This session has a subscription. */
  subscribed: boolean;
}

/** A device that rings: one subscribed session of the user. */
export interface PushDevice {
  id: string;
  sessionId: string;
  clientType: string;
  deviceName: string;
  /** The push service's host (e.g. fcm.googleapis.com). */
  pushService: string;
  /** Epoch ms. */
  createdAt: number;
  /** When a push was last accepted, epoch ms; 0 before the first. */
  lastOkAt: number;
  /** This session's. */
  current: boolean;
}

/** What the browser's PushSubscription holds (`toJSON()` gives this shape). */
export interface BrowserSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

const settingsOf = (s: push.PushSettings | undefined): PushSettings => ({
  preview: s?.preview ?? false,
  dndEnabled: s?.dndEnabled ?? false,
  dndStartMinute: s?.dndStartMinute ?? 0,
  dndEndMinute: s?.dndEndMinute ?? 0,
  timeZone: s?.timeZone || 'UTC',
});

const deviceOf = (d: push.PushSubscription): PushDevice => ({
  id: d.id,
  sessionId: d.sessionId,
  clientType: d.clientType,
  deviceName: d.deviceName,
  pushService: d.pushService,
  createdAt: ms(d.createdAt),
  lastOkAt: ms(d.lastOkAt),
  current: d.current,
});

/** Web Push: the server's key, this session's subscription, the devices that ring, settings. */
export class PushApi {
  constructor(
    private readonly rpc: Client<typeof push.PushService>,
    private readonly authed: Authed,
  ) {}

  async config(): Promise<PushConfig> {
    const r = await this.authed((h) => this.rpc.getPushConfig({}, h));
    return {
      enabled: r.enabled,
      vapidPublicKey: r.vapidPublicKey,
      settings: settingsOf(r.settings),
      subscribed: r.subscribed,
    };
  }

  /** Stores the browser's subscription for this session (replacing its previous one). */
  async subscribe(sub: BrowserSubscription, deviceName = ''): Promise<PushDevice> {
    const r = await this.authed((h) =>
      this.rpc.subscribePush(
        { endpoint: sub.endpoint, p256dh: sub.keys.p256dh, auth: sub.keys.auth, deviceName },
        h,
      ),
    );
    return deviceOf(r.subscription!);
  }

  /** Deletes the subscription with this endpoint, or this session's. */
  async unsubscribe(endpoint = ''): Promise<boolean> {
    return (await this.authed((h) => this.rpc.unsubscribePush({ endpoint }, h))).deleted;
  }

  async devices(): Promise<PushDevice[]> {
    return (await this.authed((h) => this.rpc.listPushSubscriptions({}, h))).subscriptions.map(deviceOf);
  }

  /** Changes some settings; returns all of them. */
  async updateSettings(patch: Partial<PushSettings>): Promise<PushSettings> {
    return settingsOf((await this.authed((h) => this.rpc.updatePushSettings(patch, h))).settings);
  }

  /** Sends a test notification to this device; true when the push service took it. */
  async sendTest(): Promise<boolean> {
    return (await this.authed((h) => this.rpc.sendTestPush({}, h))).accepted;
  }
}
