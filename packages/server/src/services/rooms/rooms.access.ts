import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { Clock } from '../../kernel/clock.js';
import type { Logger } from '../../kernel/logger.js';
import type { RoomsConfig } from './rooms.config.js';
import type { Actor, RoomChats, RoomFiles, RoomPush } from './rooms.peers.js';
import type { EntryRow, MemberRow, PlayState, RoomRow, RoomsStore } from './rooms.repository.js';
import { entriesToSign, roomMsg, stateMsg, trackMsg, type RoomMsg, type Signed } from './rooms.views.js';

export const MODE = { EVERYONE: 1, HOST_ONLY: 2 } as const;

export interface RoomsDeps {
  store: RoomsStore;
  chats: RoomChats;
  files: RoomFiles;
  push: RoomPush;
  clock: Clock;
  logger: Logger;
  config: RoomsConfig;
  ids: { next(): string };
}

export interface Loaded {
  room: RoomRow;
  members: MemberRow[];
}

/**
 * Loading rooms for a caller, the checks every method shares, the snapshot a member sees and
 * the frames to members. A room empty for `closeEmptyAfterMs` is closed when next touched.
 */
export class RoomAccess {
  constructor(readonly d: RoomsDeps) {}

  async load(roomId: string, requestId: string): Promise<Loaded> {
    const room = await this.d.store.room(roomId);
    if (!room) throw errors.notFound('no such room');
    const members = await this.d.store.members(roomId);
    const now = this.d.clock.now();
    if (
      room.closedAt === null &&
      members.length === 0 &&
      room.emptySince !== null &&
      now - room.emptySince >= this.d.config.closeEmptyAfterMs
    ) {
      if (await this.d.store.close(roomId, now)) await this.releaseTracks(room, requestId);
      room.closedAt = now;
    }
    return { room, members };
  }

  /** The room for one of its members; ROOM_NOT_MEMBER for anyone else, ROOM_CLOSED once closed. */
  async forMember(actor: Actor, roomId: string): Promise<Loaded> {
    const l = await this.load(roomId, actor.requestId);
    if (!l.members.some((m) => m.userId === actor.userId))
      throw new AppError(ErrorCode.ROOM_NOT_MEMBER, 'join the room first');
    if (l.room.closedAt !== null) throw closed();
    return l;
  }

  /** Whether the caller may change playback and the queue (everyone, or the host only). */
  checkControl(room: RoomRow, userId: string): void {
    if (room.mode === MODE.HOST_ONLY && room.hostId !== userId)
      throw new AppError(ErrorCode.ROOM_HOST_ONLY, 'only the host controls this room');
  }

  /** The room as a member sees it, with URLs of the current and the next track. */
  async snapshot(room: RoomRow, members: MemberRow[], requestId: string, withUrls = true): Promise<RoomMsg> {
    const queue = await this.d.store.queue(room.id);
    const urls = new Map<string, Signed>();
    if (withUrls && room.closedAt === null)
      for (const e of entriesToSign(room.state, queue)) urls.set(e.id, await this.sign(room, e, requestId));
    return roomMsg(room, queue, members, urls);
  }

  async sign(room: RoomRow, e: EntryRow, requestId: string): Promise<Signed> {
    return this.d.files.sign({ ownerId: e.addedBy, roomId: room.id }, e.mediaId, requestId);
  }

  /** The new playback state to every member, with the current track's URL. */
  async pushState(actor: Actor, l: Loaded, state: PlayState, queue: readonly EntryRow[]): Promise<void> {
    const e = queue.find((q) => q.id === state.entryId);
    const track = e && trackMsg(e, await this.sign(l.room, e, actor.requestId));
    await this.d.push.state(
      l.members.map((m) => m.userId),
      { roomId: l.room.id, state: stateMsg(state), byUserId: actor.userId, ...(track && { track }) },
    );
  }

  /** Tells members the room changed (queue, members, mode or host). */
  async pushUpdate(members: readonly MemberRow[], room: RoomMsg): Promise<void> {
    await this.d.push.update(
      members.map((m) => m.userId),
      { room },
    );
  }

  private async releaseTracks(room: RoomRow, requestId: string): Promise<void> {
    for (const e of await this.d.store.queue(room.id))
      await this.d.files.detach({ ownerId: e.addedBy, roomId: room.id }, e.mediaId, requestId);
    this.d.logger.info({ room_id: room.id }, 'room closed (empty)');
  }
}

export const closed = () => new AppError(ErrorCode.ROOM_CLOSED, 'this room has closed');

/** The one-way delay a client's round trip suggests, ms. */
export const delayOf = (rttMs: number) => Math.min(5000, Math.max(0, Math.round(rttMs / 2)));
