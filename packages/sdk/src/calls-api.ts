import type { Client } from '@connectrpc/connect';
import { calls as pb, type gateway } from '@mychat/protocol';
import type { Authed } from './chat-backend.js';
import {
  MEDIA,
  SIGNAL,
  toCall,
  toHistory,
  toSignal,
  type Call,
  type CallEvent,
  type CallHistoryEntry,
  type CallMedia,
  type CallSignal,
  type IceServers,
  type SignalKind,
} from './calls-types.js';
import { MyChatError } from './errors.js';
import { Emitter } from './events.js';
import type { WsConnection } from './ws-connection.js';

export interface CallsEvents extends Record<string, unknown[]> {
  /** Any change of a call the user takes part in (every device of every participant gets it). */
  event: [event: CallEvent];
  /** Someone calls the user: ring (on every device; stop when `answeredElsewhere` or `ended`). */
  incoming: [call: Call];
  /** Another device of this user answered: stop ringing here. */
  answeredElsewhere: [call: Call];
  /** A session description or ICE candidate for this device. */
  signal: [signal: CallSignal];
}

const ACTION = {
  accept: pb.CallAction.ACCEPT,
  decline: pb.CallAction.DECLINE,
  hangUp: pb.CallAction.HANG_UP,
  rejoin: pb.CallAction.REJOIN,
  keepAlive: pb.CallAction.KEEP_ALIVE,
} as const;

/**
 * Voice and video calls (`client.calls`): signalling over the live socket (RPC when not
 * connected), TURN credentials and the call history. The media itself is WebRTC between the
 * browsers: see {@link CallSession} (calls-webrtc.ts) for the part that connects them.
 */
export class CallsApi extends Emitter<CallsEvents> {
  constructor(
    private readonly rpc: Client<typeof pb.CallsService>,
    private readonly authed: Authed,
    private readonly socket: () => WsConnection | undefined,
    /** This device's session id (the SDK's signed-in session). */
    readonly sessionId: () => string | undefined,
    /** The signed-in user. */
    readonly userId: () => string | undefined,
  ) {
    super();
  }

  /** Rings the other members of a 1:1 chat or a group. Joins the call already ringing you there (glare). */
  async start(conversationId: string, media: CallMedia): Promise<{ call: Call; joinedExisting: boolean }> {
    const req = { conversationId, media: MEDIA[media] };
    const conn = this.socket();
    if (conn) {
      const call = await this.viaSocket(conn, { case: 'startCall', value: req });
      const me = call.participants.find((p) => p.userId === this.userId());
      return { call, joinedExisting: call.initiatorId !== this.userId() && me?.state === 'joined' };
    }
    const r = await this.authed((h) => this.rpc.startCall(req, h));
    return { call: toCall(r.call!), joinedExisting: r.joinedExisting };
  }

  accept = (callId: string) => this.update(callId, 'accept');
  decline = (callId: string) => this.update(callId, 'decline');
  /** Cancels a call you started that nobody answered, or leaves one you are in. */
  hangUp = (callId: string) => this.update(callId, 'hangUp');
  /** Back in a call after a reload or a drop (any device of the user). */
  rejoin = (callId: string) => this.update(callId, 'rejoin');
  /** Tells the server this device is still in the call; CallSession sends it on its own. */
  keepAlive = (callId: string) => this.update(callId, 'keepAlive');

  /** Sends a session description or ICE candidate to one device in the call. */
  async signal(callId: string, toUserId: string, toSessionId: string, kind: SignalKind, data: string) {
    const req = { callId, toUserId, toSessionId, kind: SIGNAL[kind], data };
    const conn = this.socket();
    if (conn) await conn.request({ case: 'callSignal', value: req });
    else await this.authed((h) => this.rpc.sendSignal(req, h));
  }

  async get(callId: string): Promise<Call> {
    return toCall((await this.authed((h) => this.rpc.getCall({ callId }, h))).call!);
  }

  /** The call this user is in or rung for (after a reload), if any. */
  async active(): Promise<Call | undefined> {
    const r = await this.authed((h) => this.rpc.getActiveCall({}, h));
    return r.call && toCall(r.call);
  }

  /** RTCConfiguration.iceServers with fresh TURN credentials; fetch before each call. */
  async iceServers(): Promise<IceServers> {
    const r = await this.authed((h) => this.rpc.getIceServers({}, h));
    return {
      iceServers: r.iceServers.map((s) => ({
        urls: s.urls,
        ...(s.username && { username: s.username, credential: s.credential }),
      })),
      expiresAt: r.expiresAtMs,
    };
  }

  /** The user's calls, newest first. */
  async history(opts: { limit?: number; cursor?: string } = {}): Promise<{
    entries: CallHistoryEntry[];
    nextCursor: string;
  }> {
    const r = await this.authed((h) =>
      this.rpc.listCallHistory({ limit: opts.limit ?? 0, cursor: opts.cursor ?? '' }, h),
    );
    return { entries: r.entries.map(toHistory), nextCursor: r.nextCursor };
  }

  /** A call push from the socket (the client routes them here). */
  pushed(body: Extract<gateway.ServerFrame['body'], { case: 'callEvent' | 'callSignal' }>): void {
    if (body.case === 'callSignal') {
      const s = toSignal(body.value);
      // Signals go to every device of the user; only the one in the call takes them.
      if (s.toSessionId === this.sessionId()) this.emit('signal', s);
      return;
    }
    const v = body.value;
    if (!v.call) return;
    const e: CallEvent = { kind: v.kind, call: toCall(v.call), userId: v.userId, sessionId: v.sessionId };
    this.emit('event', e);
    const me = this.userId();
    if (e.kind === 'ringing' && e.call.participants.some((p) => p.userId === me && p.state === 'ringing'))
      this.emit('incoming', e.call);
    if (e.kind === 'accepted' && e.userId === me && e.sessionId !== this.sessionId())
      this.emit('answeredElsewhere', e.call);
  }

  private async update(callId: string, action: keyof typeof ACTION): Promise<Call> {
    const req = { callId, action: ACTION[action] };
    const conn = this.socket();
    if (conn) return this.viaSocket(conn, { case: 'updateCall', value: req });
    return toCall((await this.authed((h) => this.rpc.updateCall(req, h))).call!);
  }

  private async viaSocket(conn: WsConnection, body: Parameters<WsConnection['request']>[0]): Promise<Call> {
    const f = await conn.request(body);
    if (f.body.case !== 'callEvent' || !f.body.value.call)
      throw new MyChatError('expected a call event', 'PROTOCOL');
    return toCall(f.body.value.call);
  }
}
