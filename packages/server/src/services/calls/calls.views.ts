import { create } from '@bufbuild/protobuf';
import { calls as pb } from '@mychat/protocol';
import type { CallState, EndReason, Media, ParticipantStateName } from './calls.machine.js';
import type { HistoryRow } from './calls.history.repository.js';

export const MEDIA: Record<Media, pb.CallMedia> = { voice: pb.CallMedia.VOICE, video: pb.CallMedia.VIDEO };

export const END_REASON: Record<EndReason, pb.CallEndReason> = {
  completed: pb.CallEndReason.COMPLETED,
  cancelled: pb.CallEndReason.CANCELLED,
  declined: pb.CallEndReason.DECLINED,
  no_answer: pb.CallEndReason.NO_ANSWER,
  busy: pb.CallEndReason.BUSY,
  dropped: pb.CallEndReason.DROPPED,
};

const STATUS = {
  ringing: pb.CallStatus.RINGING,
  active: pb.CallStatus.ACTIVE,
  ended: pb.CallStatus.ENDED,
} as const;

const PARTICIPANT: Record<ParticipantStateName, pb.ParticipantState> = {
  ringing: pb.ParticipantState.RINGING,
  joined: pb.ParticipantState.JOINED,
  declined: pb.ParticipantState.DECLINED,
  left: pb.ParticipantState.LEFT,
  dropped: pb.ParticipantState.DROPPED,
  missed: pb.ParticipantState.MISSED,
  busy: pb.ParticipantState.BUSY,
};

/** A call as clients see it. */
export function callView(c: CallState): pb.Call {
  return create(pb.CallSchema, {
    id: c.id,
    conversationId: c.conversationId,
    media: MEDIA[c.media],
    initiatorId: c.initiatorId,
    status: STATUS[c.status],
    participants: c.participants.map((p) => ({
      userId: p.userId,
      state: PARTICIPANT[p.state],
      sessionId: p.state === 'joined' || p.state === 'dropped' ? p.sessionId : '',
      joinedAtMs: p.joinedAt,
    })),
    createdAtMs: c.createdAt,
    answeredAtMs: c.answeredAt,
    endedAtMs: c.endedAt,
    endReason: c.endReason ? END_REASON[c.endReason] : pb.CallEndReason.UNSPECIFIED,
    group: c.group,
    ringDeadlineMs: c.status === 'ringing' ? c.ringDeadline : 0,
  });
}

export function historyView(r: HistoryRow): pb.CallHistoryEntry {
  return create(pb.CallHistoryEntrySchema, {
    callId: r.callId,
    conversationId: r.conversationId,
    media: r.media,
    initiatorId: r.initiatorId,
    endReason: r.endReason,
    answered: r.answered,
    startedAtMs: r.startedAt,
    durationMs: BigInt(r.durationMs),
    group: r.group,
  });
}
