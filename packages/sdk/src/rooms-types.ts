import { rooms as pb } from '@mychat/protocol';
import type { PlaybackState } from './room-playback.js';

export type RoomMode = 'everyone' | 'host-only';
export type ControlAction = 'play' | 'pause' | 'seek' | 'next' | 'previous';
/** What a member's player does: '' before it reported anything. */
export type ListenState = '' | 'idle' | 'listening' | 'buffering';

export interface RoomTrack {
  entryId: string;
  mediaId: string;
  addedBy: string;
  title: string;
  artist: string;
  mime: string;
  durationMs: number;
  /** A short-lived URL: set for the current and the next track (AAC in M4A, loudness normalised). */
  url: string;
  /** The album cover from the file's tags, short-lived like url; '' for none. */
  coverUrl: string;
}

export interface RoomMember {
  userId: string;
  joinedAtMs: number;
  delayMs: number;
  listening: ListenState;
}

export interface Room {
  id: string;
  conversationId: string;
  title: string;
  hostId: string;
  mode: RoomMode;
  state: PlaybackState;
  queue: RoomTrack[];
  members: RoomMember[];
  createdAtMs: number;
  closed: boolean;
}

/** A command's answer: applied, or refused because the room had moved on (the room as it is now). */
export interface CommandResult {
  applied: boolean;
  room: Room;
}

export const MODES: Record<RoomMode, pb.RoomMode> = {
  everyone: pb.RoomMode.EVERYONE,
  'host-only': pb.RoomMode.HOST_ONLY,
};

export const ACTIONS: Record<ControlAction, pb.ControlAction> = {
  play: pb.ControlAction.PLAY,
  pause: pb.ControlAction.PAUSE,
  seek: pb.ControlAction.SEEK,
  next: pb.ControlAction.NEXT,
  previous: pb.ControlAction.PREVIOUS,
};

export const LISTEN_STATES: Record<Exclude<ListenState, ''>, pb.ListenState> = {
  idle: pb.ListenState.IDLE,
  listening: pb.ListenState.LISTENING,
  buffering: pb.ListenState.BUFFERING,
};

export const toListenState = (v: pb.ListenState): ListenState =>
  v === pb.ListenState.IDLE
    ? 'idle'
    : v === pb.ListenState.LISTENING
      ? 'listening'
      : v === pb.ListenState.BUFFERING
        ? 'buffering'
        : '';

export const toState = (s: pb.RoomState | undefined): PlaybackState => ({
  entryId: s?.entryId ?? '',
  playing: s?.playing ?? false,
  positionMs: s?.positionMs ?? 0,
  atServerMs: s?.atServerMs ?? 0,
  rate: s?.rate || 1,
  version: Number(s?.version ?? 0),
});

export const toTrack = (t: pb.Track): RoomTrack => ({
  entryId: t.entryId,
  mediaId: t.mediaId,
  addedBy: t.addedBy,
  title: t.title,
  artist: t.artist,
  mime: t.mime,
  durationMs: t.durationMs,
  url: t.url,
  coverUrl: t.coverUrl,
});

export const toRoom = (r: pb.Room | undefined): Room => ({
  id: r?.id ?? '',
  conversationId: r?.conversationId ?? '',
  title: r?.title ?? '',
  hostId: r?.hostId ?? '',
  mode: r?.mode === pb.RoomMode.HOST_ONLY ? 'host-only' : 'everyone',
  state: toState(r?.state),
  queue: (r?.queue ?? []).map(toTrack),
  members: (r?.members ?? []).map((m) => ({
    userId: m.userId,
    joinedAtMs: m.joinedAtMs,
    delayMs: m.delayMs,
    listening: toListenState(m.listening),
  })),
  createdAtMs: r?.createdAtMs ?? 0,
  closed: r?.closed ?? false,
});
