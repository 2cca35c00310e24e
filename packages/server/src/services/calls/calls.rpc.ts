import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import { calls as pb } from '@mychat/protocol';
import { errors } from '../../kernel/errors.js';
import { parseId } from '../../kernel/ids.js';
import { callInfo, requireCaller } from '../../rpc/call-context.js';
import type { CallsConfig } from './calls.config.js';
import type { CallHistoryRepository } from './calls.history.repository.js';
import type { Media } from './calls.machine.js';
import type { Action, Actor, CallsService } from './calls.service.js';
import { iceServersFor } from './calls.turn.js';
import { callView, historyView } from './calls.views.js';

/** Most bytes of one signal's data (an SDP with many codecs is a few KiB). */
export const MAX_SIGNAL_BYTES = 16 * 1024;

const ACTIONS: Partial<Record<pb.CallAction, Action>> = {
  [pb.CallAction.ACCEPT]: 'accept',
  [pb.CallAction.DECLINE]: 'decline',
  [pb.CallAction.HANG_UP]: 'hang_up',
  [pb.CallAction.REJOIN]: 'rejoin',
  [pb.CallAction.KEEP_ALIVE]: 'keep_alive',
};
const MEDIA: Partial<Record<pb.CallMedia, Media>> = {
  [pb.CallMedia.VOICE]: 'voice',
  [pb.CallMedia.VIDEO]: 'video',
};
const SIGNALS = new Set([pb.SignalKind.OFFER, pb.SignalKind.ANSWER, pb.SignalKind.ICE]);

function actorOf(ctx: HandlerContext): Actor {
  const c = requireCaller(ctx);
  // Calls ring and connect devices: a caller without a session (an internal call) has none.
  if (!c.sessionId) throw errors.unauthenticated();
  return { userId: c.userId, sessionId: c.sessionId, requestId: callInfo(ctx).requestId };
}

const utf8 = new TextEncoder();

export interface CallsRpcParts {
  service: CallsService;
  history: CallHistoryRepository;
  config: CallsConfig;
  now(): number;
}

/** CallsService over the wire: parse and validate, call, shape the answer. */
export function callsRpc(p: CallsRpcParts): ServiceImpl<typeof pb.CallsService> {
  return {
    async startCall(req, ctx) {
      const actor = actorOf(ctx);
      const convId = parseId(req.conversationId, 'conversationId');
      const media = MEDIA[req.media];
      if (!media) throw errors.invalidArgument('media is voice or video', 'media');
      const r = await p.service.start(actor, convId, media);
      return { call: callView(r.call), joinedExisting: r.joinedExisting };
    },
    async updateCall(req, ctx) {
      const actor = actorOf(ctx);
      const callId = parseId(req.callId, 'callId');
      const action = ACTIONS[req.action];
      if (!action) throw errors.invalidArgument('action is not known', 'action');
      return { call: callView(await p.service.update(actor, callId, action)) };
    },
    async sendSignal(req, ctx) {
      const actor = actorOf(ctx);
      const callId = parseId(req.callId, 'callId');
      const to = parseId(req.toUserId, 'toUserId');
      if (!SIGNALS.has(req.kind)) throw errors.invalidArgument('kind is offer, answer or ice', 'kind');
      if (!req.toSessionId || req.toSessionId.length > 64)
        throw errors.invalidArgument('toSessionId is required', 'toSessionId');
      if (req.data.length > MAX_SIGNAL_BYTES || utf8.encode(req.data).length > MAX_SIGNAL_BYTES)
        throw errors.invalidArgument(`data is at most ${MAX_SIGNAL_BYTES} bytes`, 'data');
      await p.service.signal(actor, callId, to, req.toSessionId, req.kind, req.data);
      return {};
    },
    async getCall(req, ctx) {
      const actor = actorOf(ctx);
      return { call: callView(await p.service.get(actor, parseId(req.callId, 'callId'))) };
    },
    async getActiveCall(_req, ctx) {
      const call = await p.service.active(actorOf(ctx));
      return call ? { call: callView(call) } : {};
    },
    async getIceServers(_req, ctx) {
      const c = requireCaller(ctx);
      return iceServersFor(p.config, c.userId, p.now());
    },
    async listCallHistory(req, ctx) {
      const c = requireCaller(ctx);
      if (req.limit < 0 || req.limit > 100) throw errors.invalidArgument('limit is 1-100', 'limit');
      const before = req.cursor ? parseId(req.cursor, 'cursor') : '';
      const limit = req.limit || 30;
      const rows = await p.history.page(c.userId, before, limit + 1);
      const page = rows.slice(0, limit);
      return {
        entries: page.map(historyView),
        nextCursor: rows.length > limit ? page[page.length - 1]!.callId : '',
      };
    },
  };
}
