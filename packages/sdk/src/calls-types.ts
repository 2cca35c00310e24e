import { calls as pb } from '@mychat/protocol';

export type CallMedia = 'voice' | 'video';
export type CallStatus = 'ringing' | 'active' | 'ended';
export type ParticipantState = 'ringing' | 'joined' | 'declined' | 'left' | 'dropped' | 'missed' | 'busy';
export type CallEndReason = 'completed' | 'cancelled' | 'declined' | 'no_answer' | 'busy' | 'dropped' | '';
export type SignalKind = 'offer' | 'answer' | 'ice';

export interface CallParticipant {
  userId: string;
  state: ParticipantState;
  /** The device in the call (joined or dropped). */
  sessionId: string;
  joinedAt: number;
}

/** A call as the server last described it. */
export interface Call {
  id: string;
  conversationId: string;
  media: CallMedia;
  initiatorId: string;
  status: CallStatus;
  participants: CallParticipant[];
  createdAt: number;
  answeredAt: number;
  endedAt: number;
  endReason: CallEndReason;
  group: boolean;
  /** While ringing: when ringing stops unanswered (epoch ms, server clock). */
  ringDeadline: number;
}

/** What happened to a call (a `call_event` push). */
export interface CallEvent {
  kind: 'ringing' | 'accepted' | 'declined' | 'left' | 'dropped' | 'rejoined' | 'missed' | 'ended' | string;
  call: Call;
  /** Who did it, and on which device. */
  userId: string;
  sessionId: string;
}

/** A session description or ICE candidate from another device in the call. */
export interface CallSignal {
  callId: string;
  fromUserId: string;
  fromSessionId: string;
  toSessionId: string;
  kind: SignalKind;
  data: string;
}

export interface CallHistoryEntry {
  callId: string;
  conversationId: string;
  media: CallMedia;
  initiatorId: string;
  endReason: CallEndReason;
  /** Whether the user took part (false: missed or declined by them). */
  answered: boolean;
  startedAt: number;
  /** 0 when never answered. */
  durationMs: number;
  group: boolean;
}

export interface IceServers {
  iceServers: { urls: string[]; username?: string; credential?: string }[];
  /** When the TURN credentials stop working (epoch ms); 0 without TURN. */
  expiresAt: number;
}

export const MEDIA: Record<CallMedia, pb.CallMedia> = {
  voice: pb.CallMedia.VOICE,
  video: pb.CallMedia.VIDEO,
};
const MEDIA_BACK: Record<number, CallMedia> = {
  [pb.CallMedia.VOICE]: 'voice',
  [pb.CallMedia.VIDEO]: 'video',
};
const STATUS: Record<number, CallStatus> = {
  [pb.CallStatus.RINGING]: 'ringing',
  [pb.CallStatus.ACTIVE]: 'active',
  [pb.CallStatus.ENDED]: 'ended',
};
const STATE: Record<number, ParticipantState> = {
  [pb.ParticipantState.RINGING]: 'ringing',
  [pb.ParticipantState.JOINED]: 'joined',
  [pb.ParticipantState.DECLINED]: 'declined',
  [pb.ParticipantState.LEFT]: 'left',
  [pb.ParticipantState.DROPPED]: 'dropped',
  [pb.ParticipantState.MISSED]: 'missed',
  [pb.ParticipantState.BUSY]: 'busy',
};
const REASON: Record<number, CallEndReason> = {
  [pb.CallEndReason.COMPLETED]: 'completed',
  [pb.CallEndReason.CANCELLED]: 'cancelled',
  [pb.CallEndReason.DECLINED]: 'declined',
  [pb.CallEndReason.NO_ANSWER]: 'no_answer',
  [pb.CallEndReason.BUSY]: 'busy',
  [pb.CallEndReason.DROPPED]: 'dropped',
};
export const SIGNAL: Record<SignalKind, pb.SignalKind> = {
  offer: pb.SignalKind.OFFER,
  answer: pb.SignalKind.ANSWER,
  ice: pb.SignalKind.ICE,
};
const SIGNAL_BACK: Record<number, SignalKind> = {
  [pb.SignalKind.OFFER]: 'offer',
  [pb.SignalKind.ANSWER]: 'answer',
  [pb.SignalKind.ICE]: 'ice',
};

export function toCall(c: pb.Call): Call {
  return {
    id: c.id,
    conversationId: c.conversationId,
    media: MEDIA_BACK[c.media] ?? 'voice',
    initiatorId: c.initiatorId,
    status: STATUS[c.status] ?? 'ended',
    participants: c.participants.map((p) => ({
      userId: p.userId,
      state: STATE[p.state] ?? 'left',
      sessionId: p.sessionId,
      joinedAt: p.joinedAtMs,
    })),
    createdAt: c.createdAtMs,
    answeredAt: c.answeredAtMs,
    endedAt: c.endedAtMs,
    endReason: REASON[c.endReason] ?? '',
    group: c.group,
    ringDeadline: c.ringDeadlineMs,
  };
}

export const toSignal = (s: pb.CallSignal): CallSignal => ({
  callId: s.callId,
  fromUserId: s.fromUserId,
  fromSessionId: s.fromSessionId,
  toSessionId: s.toSessionId,
  kind: SIGNAL_BACK[s.kind] ?? 'ice',
  data: s.data,
});

export const toHistory = (e: pb.CallHistoryEntry): CallHistoryEntry => ({
  callId: e.callId,
  conversationId: e.conversationId,
  media: MEDIA_BACK[e.media] ?? 'voice',
  initiatorId: e.initiatorId,
  endReason: REASON[e.endReason] ?? '',
  answered: e.answered,
  startedAt: e.startedAtMs,
  durationMs: Number(e.durationMs),
  group: e.group,
});
