import type { MessageInitShape } from '@bufbuild/protobuf';
import type { rooms as pb } from '@mychat/protocol';
import type { EntryRow, MemberRow, PlayState, RoomRow } from './rooms.repository.js';

export type RoomMsg = MessageInitShape<typeof pb.RoomSchema>;
export type TrackMsg = MessageInitShape<typeof pb.TrackSchema>;
export type StateMsg = MessageInitShape<typeof pb.RoomStateSchema>;

export const stateMsg = (s: PlayState): StateMsg => ({
  entryId: s.entryId,
  playing: s.playing,
  positionMs: s.positionMs,
  atServerMs: s.atServerMs,
  rate: s.rateMilli / 1000,
  version: BigInt(s.version),
});

/** A track's short-lived URLs: the audio and its cover ('' for none). */
export interface Signed {
  url: string;
  coverUrl: string;
}

export const trackMsg = (e: EntryRow, signed?: Signed): TrackMsg => ({
  entryId: e.id,
  mediaId: e.mediaId,
  addedBy: e.addedBy,
  title: e.title,
  artist: e.artist,
  mime: e.mime,
  durationMs: e.durationMs,
  url: signed?.url ?? '',
  coverUrl: signed?.coverUrl ?? '',
});

export function roomMsg(
  room: RoomRow,
  queue: readonly EntryRow[],
  members: readonly MemberRow[],
  urls: ReadonlyMap<string, Signed>,
): RoomMsg {
  return {
    id: room.id,
    conversationId: room.conversationId,
    title: room.title,
    hostId: room.hostId,
    mode: room.mode,
    state: stateMsg(room.state),
    queue: queue.map((e) => trackMsg(e, urls.get(e.id))),
    members: members.map((m) => ({
      userId: m.userId,
      joinedAtMs: m.joinedAt,
      delayMs: m.delayMs,
      listening: m.listening ?? 0,
    })),
    createdAtMs: room.createdAt,
    closed: room.closedAt !== null,
  };
}

/** The entries whose URLs a snapshot carries: the current one and the one after it. */
export function entriesToSign(state: PlayState, queue: readonly EntryRow[]): EntryRow[] {
  const i = queue.findIndex((e) => e.id === state.entryId);
  if (i < 0) return queue.slice(0, 1);
  return queue.slice(i, i + 2);
}
