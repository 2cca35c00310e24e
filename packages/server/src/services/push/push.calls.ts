import type { calls, message as pb } from '@mychat/protocol';
import type { Clock } from '../../kernel/clock.js';
import type { Outgoing, PushDispatch } from './push.dispatch.js';
import { cut } from './push.payload.js';
import { DEFAULT_SETTINGS, type PushRepository } from './push.repository.js';

/** What ringing by push needs of the notifier. */
export interface CallPushDeps {
  offline(ids: string[]): Promise<string[]>;
  claim(event: string, ids: string[]): Promise<string[]>;
  /** The notifier's peers (push.notifier.ts PushPeers). */
  peers: {
    context(convId: string, userIds: string[]): Promise<pb.GetPushContextResponse>;
    nicknames(userIds: string[]): Promise<Map<string, string>>;
  };
  repo: Pick<PushRepository, 'settingsOf'>;
  dispatch: Pick<PushDispatch, 'deliver'>;
  clock: Clock;
}

/** Participant state RINGING and media VIDEO of mychat.calls.v1 (the enums, without importing values). */
const RINGING = 1;
const VIDEO = 2;

/**
 * Rings a callee with no live socket by Web Push: urgency high (through do-not-disturb, as a
 * phone rings), once per call and user, only while ringing. The service worker shows who calls;
 * a click opens the chat, where the call is answered (or already over: the record says so).
 */
export async function ringByPush(d: CallPushDeps, userId: string, ev: calls.CallEvent): Promise<void> {
  const call = ev.call;
  if (!call || call.initiatorId === userId) return;
  const me = call.participants.find((p) => p.userId === userId);
  if (me?.state !== RINGING) return;
  if (!(await d.claim(`call:${call.id}`, await d.offline([userId]))).length) return;
  const now = d.clock.now();
  const [names, settings, ctx] = await Promise.all([
    d.peers.nicknames([call.initiatorId]),
    d.repo.settingsOf([userId]),
    call.group ? d.peers.context(call.conversationId, [userId]) : undefined,
  ]);
  const out: Outgoing = {
    userId,
    topic: `call${call.id}`,
    payload: {
      v: 1,
      kind: 'call',
      conversationId: call.conversationId,
      direct: !call.group,
      from: cut(names.get(call.initiatorId) ?? '', 64),
      ...(ctx && { group: cut(ctx.name, 64) }),
      callId: call.id,
      media: call.media === VIDEO ? 'video' : 'voice',
      url: `/chat/${call.conversationId}`,
      at: now,
    },
    urgency: 'high',
    settings: settings.get(userId) ?? DEFAULT_SETTINGS,
    eventAt: now,
  };
  await d.dispatch.deliver([out]);
}
