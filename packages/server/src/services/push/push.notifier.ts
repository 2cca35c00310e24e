import { fromBinary } from '@bufbuild/protobuf';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { gateway, message as pb, moments as mpb } from '@mychat/protocol';
import type { Kv } from '../../adapters/kv/kv.js';
import { decodePushEnvelope } from '../../contracts/push-envelope.js';
import { presenceKey } from '../../contracts/presence-keys.js';
import type { Clock } from '../../kernel/clock.js';
import type { Logger } from '../../kernel/logger.js';
import type { Delivery } from './push.channels.js';
import { shownKey, type Outgoing, type PushDispatch } from './push.dispatch.js';
import { cut, PREVIEW_CHARS, type PushPayload } from './push.payload.js';
import { DEFAULT_SETTINGS, type PushRepository, type SettingsRow } from './push.repository.js';
import type { PushMetrics } from './push.sender.js';
import { ringByPush, type CallPushDeps } from './push.calls.js';

/** What the notifier asks of other services (message and auth, through their clients). */
export interface PushPeers {
  context(convId: string, userIds: string[]): Promise<pb.GetPushContextResponse>;
  nicknames(userIds: string[]): Promise<Map<string, string>>;
}

export interface NotifierDeps {
  repo: PushRepository;
  dispatch: PushDispatch;
  peers: PushPeers;
  kv: Kv;
  clock: Clock;
  logger: Logger;
  metrics: PushMetrics;
  coalesceMs: number;
}

/** A conversation burst of one user: pushed once, then counted until the window ends. */
interface Burst {
  userId: string;
  convId: string;
  until: number;
  count: number;
  last: pb.Message;
  mention: boolean;
}

/** The one- or two-byte tag of a length-delimited ServerFrame field (pushes carry no request id). */
const tag = (no: number) => {
  const t = (no << 3) | 2;
  return t < 0x80 ? [t] : [(t & 0x7f) | 0x80, t >> 7];
};
const field = (name: string) => gateway.ServerFrameSchema.fields.find((f) => f.name === name)!.number;
const WANTED = ['message', 'contact', 'conversation', 'moment_notice', 'call_event'].map((n) =>
  tag(field(n)),
);
/**
 * Whether a frame is one the notifier reads (new message, contact event, own read, moment
 * notice, ringing call), by its first bytes.
 */
const wanted = (f: Uint8Array) => WANTED.some((t) => t.every((b, i) => f[i] === b));

const NOTICE_KINDS: Partial<Record<mpb.NoticeKind, PushPayload['notice']>> = {
  [mpb.NoticeKind.LIKE]: 'like',
  [mpb.NoticeKind.COMMENT]: 'comment',
  [mpb.NoticeKind.REPLY]: 'reply',
  [mpb.NoticeKind.MENTION]: 'mention',
};

const MEDIA: Record<string, string> = {
  image: 'image',
  voice: 'voice',
  video: 'video',
  file: 'file',
  call: 'call',
  sticker: 'sticker',
  chatRecord: 'chat_record',
  room: 'room',
};

/** Message kinds that change others or tell of something: never pushed. */
const EVENTS = ['recall', 'system', 'reaction', 'edit', 'pin', 'linkPreview'];

/**
 * Decides who is pushed and what: recipients with no live socket on any device (presence
 * lease count 0), not muted unless mentioned, one push per conversation burst, and a clear
 * when a conversation notified earlier is read on another device.
 */
export class PushNotifier {
  private queue: Delivery[] = [];
  private scheduled = false;
  private readonly bursts = new Map<string, Burst>();
  private running: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly d: NotifierDeps) {}

  /** Called by the bus for every envelope on a listened channel: queue only, never wait. */
  readonly onDelivery = (delivery: Delivery): void => {
    this.queue.push(delivery);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      const batch = this.queue;
      this.queue = [];
      this.scheduled = false;
      this.running = this.running.then(() =>
        this.handle(batch).catch((err: unknown) => this.d.logger.warn({ err }, 'push batch failed')),
      );
    });
  };

  start(tickMs = 1000): void {
    this.timer = setInterval(() => {
      this.running = this.running.then(() =>
        this.closeBursts().catch((err: unknown) => this.d.logger.warn({ err }, 'push burst flush failed')),
      );
    }, tickMs);
    this.timer.unref();
  }

  /** Waits for the work queued so far (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.scheduled || this.queue.length) await new Promise((r) => setImmediate(r));
    await this.running;
  }

  stop(): Promise<void> {
    clearInterval(this.timer);
    return this.idle();
  }

  private async handle(batch: Delivery[]): Promise<void> {
    const frames = new Map<Uint8Array, gateway.ServerFrame | null>();
    const messages = new Map<string, { msg: pb.Message; users: Set<string> }>();
    const work: Promise<void>[] = [];
    for (const { userId, envelope } of batch) {
      let frame = frames.get(envelope);
      if (frame === undefined) {
        frame = null;
        try {
          const { frame: bytes } = decodePushEnvelope(envelope);
          if (wanted(bytes)) frame = fromBinary(gateway.ServerFrameSchema, bytes);
        } catch {
          frame = null;
        }
        frames.set(envelope, frame);
      }
      const body = frame?.body;
      if (body?.case === 'message') {
        const m = body.value;
        const entry = messages.get(m.id) ?? { msg: m, users: new Set<string>() };
        entry.users.add(userId);
        messages.set(m.id, entry);
      } else if (body?.case === 'contact') work.push(this.onContact(userId, body.value));
      else if (body?.case === 'momentNotice') work.push(this.onMomentNotice(userId, body.value));
      else if (body?.case === 'callEvent' && body.value.kind === 'ringing')
        work.push(ringByPush(this.pushDeps(), userId, body.value));
      else if (body?.case === 'conversation' && body.value.conversation?.unreadCount === 0)
        work.push(this.onRead(userId, body.value.conversation.id));
    }
    for (const { msg, users } of messages.values()) work.push(this.onMessage(msg, [...users]));
    await Promise.all(work);
  }

  private pushDeps(): CallPushDeps {
    return {
      offline: (ids) => this.offline(ids),
      claim: (event, ids) => this.claim(event, ids),
      peers: this.d.peers,
      repo: this.d.repo,
      dispatch: this.d.dispatch,
      clock: this.d.clock,
    };
  }

  /** The users among `ids` with no live socket anywhere. */
  private async offline(ids: string[]): Promise<string[]> {
    const counts = await Promise.all(ids.map((u) => this.d.kv.leaseCount(presenceKey(u))));
    return ids.filter((_, i) => counts[i] === 0);
  }

  /**
   * Claims `event` for each user, so that of several sending processes (each listening to
   * the same channels) exactly one handles it.
   */
  private async claim(event: string, ids: string[]): Promise<string[]> {
    const won = await Promise.all(
      ids.map((u) => this.d.kv.set(`push:claim:${event}:${u}`, '1', { ifAbsent: true, ttlMs: 600_000 })),
    );
    return ids.filter((_, i) => won[i]);
  }

  private async onMessage(msg: pb.Message, users: string[]): Promise<void> {
    const kind = msg.content?.body.case;
    // Events are no news: recalls, notices, and silent reactions, edits, pins and link previews.
    if (msg.recalled || !kind || EVENTS.includes(kind)) return;
    const others = users.filter((u) => u !== msg.senderId);
    if (!others.length) return;
    const claimed = await this.claim(`m:${msg.id}`, await this.offline(others));
    const now = this.d.clock.now();
    const first: { userId: string; count: number; mention: boolean }[] = [];
    for (const userId of claimed) {
      const mention = msg.mentionAll || msg.mentionUserIds.includes(userId);
      const key = `${userId}:${msg.conversationId}`;
      const b = this.bursts.get(key);
      if (b && b.until > now) {
        b.count++;
        b.last = msg;
        b.mention ||= mention;
        this.d.metrics.skipped.inc({ reason: 'coalesced' });
        continue;
      }
      this.bursts.set(key, {
        userId,
        convId: msg.conversationId,
        until: now + this.d.coalesceMs,
        count: 0,
        last: msg,
        mention: false,
      });
      first.push({ userId, count: 1, mention });
    }
    if (first.length) await this.notifyMessage(msg, first);
  }

  /** Ends the bursts whose window passed: one push for what came meanwhile, then a new window. */
  private async closeBursts(): Promise<void> {
    const now = this.d.clock.now();
    const due = new Map<
      string,
      { msg: pb.Message; list: { userId: string; count: number; mention: boolean }[] }
    >();
    for (const [key, b] of this.bursts) {
      if (b.until > now) continue;
      if (!b.count) {
        this.bursts.delete(key);
        continue;
      }
      const entry = due.get(b.last.id) ?? { msg: b.last, list: [] };
      entry.list.push({ userId: b.userId, count: b.count, mention: b.mention });
      due.set(b.last.id, entry);
      this.bursts.set(key, { ...b, until: now + this.d.coalesceMs, count: 0, mention: false });
    }
    await Promise.all([...due.values()].map(({ msg, list }) => this.notifyMessage(msg, list)));
  }

  private async notifyMessage(
    msg: pb.Message,
    list: { userId: string; count: number; mention: boolean }[],
  ): Promise<void> {
    const users = list.map((l) => l.userId);
    const [ctx, names, settings] = await Promise.all([
      this.d.peers.context(msg.conversationId, users),
      this.d.peers.nicknames([msg.senderId]),
      this.d.repo.settingsOf(users),
    ]);
    const states = new Map(ctx.recipients.map((r) => [r.userId, r]));
    // An encrypted chat is a 1:1 chat too; its messages have no text to preview (see below).
    const direct = ctx.type === pb.ConversationType.DIRECT || ctx.type === pb.ConversationType.ENCRYPTED;
    const at = msg.createdAt ? timestampMs(msg.createdAt) : this.d.clock.now();
    const out: Outgoing[] = [];
    for (const l of list) {
      const st = states.get(l.userId);
      if (!st) continue;
      if (st.muted && !l.mention) {
        this.d.metrics.skipped.inc({ reason: 'muted' });
        continue;
      }
      const s: SettingsRow = settings.get(l.userId) ?? DEFAULT_SETTINGS;
      const body = msg.content?.body;
      const payload: PushPayload = {
        v: 1,
        kind: 'message',
        conversationId: msg.conversationId,
        direct,
        from: cut(names.get(msg.senderId) ?? '', 64),
        ...(!direct && { group: cut(ctx.name, 64) }),
        count: l.count,
        ...(l.mention && { mention: true }),
        // Only plain text is previewed: nothing of an encrypted or media message's content.
        ...(s.preview &&
          body?.case === 'text' &&
          l.count === 1 && { text: cut(body.value.text, PREVIEW_CHARS) }),
        ...(body?.case && MEDIA[body.case] && { media: MEDIA[body.case] }),
        unread: st.unreadCount,
        url: `/chat/${msg.conversationId}`,
        at,
      };
      out.push({
        userId: l.userId,
        topic: msg.conversationId,
        payload,
        urgency: direct || l.mention ? 'high' : 'normal',
        settings: s,
        eventAt: at,
      });
    }
    await this.d.dispatch.deliver(out);
  }

  private async onContact(userId: string, ev: gateway.ContactEvent): Promise<void> {
    if (ev.kind !== 'friend_request' && ev.kind !== 'group_joined') return;
    const event = ev.kind === 'friend_request' ? `fr:${ev.requestId}` : `gj:${ev.groupId}`;
    if (!(await this.claim(event, await this.offline([userId]))).length) return;
    const now = this.d.clock.now();
    const settings = (await this.d.repo.settingsOf([userId])).get(userId) ?? DEFAULT_SETTINGS;
    let payload: PushPayload;
    if (ev.kind === 'friend_request') {
      const names = await this.d.peers.nicknames([ev.userId]);
      payload = {
        v: 1,
        kind: 'friend_request',
        from: cut(names.get(ev.userId) ?? '', 64),
        url: '/contacts',
        at: now,
      };
    } else {
      const ctx = await this.d.peers.context(ev.groupId, [userId]);
      if (!ctx.recipients.length) return;
      payload = {
        v: 1,
        kind: 'group_joined',
        conversationId: ev.groupId,
        group: cut(ctx.name, 64),
        url: `/chat/${ev.groupId}`,
        at: now,
      };
    }
    await this.d.dispatch.deliver([
      { userId, topic: event.replace(':', ''), payload, urgency: 'normal', settings, eventAt: now },
    ]);
  }

  /**
   * A like, comment, reply or reminder on moments: pushed like a friend request (normal
   * urgency, held by do-not-disturb), one topic for all of them so that an undelivered older
   * one is replaced; the comment's words only with preview on.
   */
  private async onMomentNotice(userId: string, ev: mpb.MomentNoticeEvent): Promise<void> {
    const n = ev.notice;
    const notice = n && NOTICE_KINDS[n.kind];
    if (!n || !notice) return;
    if (!(await this.claim(`mn:${n.id}`, await this.offline([userId]))).length) return;
    const settings = (await this.d.repo.settingsOf([userId])).get(userId) ?? DEFAULT_SETTINGS;
    const actor = ev.users.find((u) => u.id === n.actorId);
    const now = this.d.clock.now();
    const payload: PushPayload = {
      v: 1,
      kind: 'moment',
      notice,
      from: cut(actor?.remark || actor?.nickname || '', 64),
      ...(settings.preview && n.text && { text: cut(n.text, PREVIEW_CHARS) }),
      url: `/discover/moment/${n.momentId}`,
      at: now,
    };
    await this.d.dispatch.deliver([
      { userId, topic: 'moments', payload, urgency: 'normal', settings, eventAt: now },
    ]);
  }

  /** The user read a conversation on some device: close its notifications on the others. */
  private async onRead(userId: string, convId: string): Promise<void> {
    this.bursts.delete(`${userId}:${convId}`);
    await this.d.repo.dropHeld(userId, convId);
    if ((await this.d.kv.getDel(shownKey(userId, convId))) === null) return;
    const now = this.d.clock.now();
    await this.d.dispatch.deliver([
      {
        userId,
        topic: convId,
        payload: { v: 1, kind: 'clear', conversationId: convId, url: `/chat/${convId}`, at: now },
        urgency: 'normal',
        settings: DEFAULT_SETTINGS,
        eventAt: now,
      },
    ]);
  }
}
