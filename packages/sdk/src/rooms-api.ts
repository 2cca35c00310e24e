import { createClient, type Client, type Transport } from '@connectrpc/connect';
import { rooms as pb, type gateway } from '@mychat/protocol';
import type { Authed } from './chat-backend.js';
import { Emitter } from './events.js';
import { ServerClock, type ServerClockOptions } from './room-clock.js';
import type { PlaybackState } from './room-playback.js';
import {
  ACTIONS,
  LISTEN_STATES,
  MODES,
  toListenState,
  toRoom,
  toState,
  toTrack,
  type CommandResult,
  type ControlAction,
  type ListenState,
  type Room,
  type RoomMode,
  type RoomTrack,
} from './rooms-types.js';
import type { WsConnection } from './ws-connection.js';
import { randomId } from './random-id.js';

export interface RoomsEvents extends Record<string, unknown[]> {
  /** A room's playback changed: apply it at state.atServerMs (PlaybackController.apply does). */
  state: [roomId: string, state: PlaybackState, track: RoomTrack | undefined];
  /** A room's queue, members, mode or host changed (also after a reconnect, from GetRoom). */
  update: [room: Room];
  /** A member's player started or stopped listening, or is buffering. */
  listening: [roomId: string, userId: string, state: ListenState];
}

/**
 * Listen together (一起听): rooms inside chats. Every command sends the version of the room
 * it was based on (the last one this client saw); a stale one comes back `applied: false`
 * with the current room. `clock` estimates the server's time over the socket (start it when
 * joining); PlaybackController keeps a player on a room's state. Failures reject with
 * MyChatError (`reason` e.g. ROOM_NOT_MEMBER, ROOM_QUEUE_FULL, ROOM_HOST_ONLY).
 */
export class RoomsApi extends Emitter<RoomsEvents> {
  readonly clock: ServerClock;
  /** The rooms this client joined, with the last version seen. */
  private readonly joined = new Map<string, number>();

  private readonly rpc: Client<typeof pb.RoomsService>;

  /** @internal */
  constructor(
    transport: Transport,
    private readonly authed: Authed,
    live: () => WsConnection | undefined,
    clock: ServerClockOptions = {},
  ) {
    super();
    this.rpc = createClient(pb.RoomsService, transport);
    this.clock = new ServerClock(async (t0) => {
      const conn = live();
      if (!conn) throw new Error('not connected');
      const f = await conn.request({ case: 'ping', value: { clientTimeMs: t0 } }, 10_000);
      if (f.body.case !== 'pong') throw new Error('expected a pong');
      return { serverRecvMs: f.body.value.serverRecvMs, serverSendMs: f.body.value.serverSendMs };
    }, clock);
  }

  /** The last version this client saw of a room (0: none). */
  version(roomId: string): number {
    return this.joined.get(roomId) ?? 0;
  }

  /** Opens a room in a conversation (posts the room card there); the caller is the host. */
  async create(conversationId: string, o: { title?: string; clientMsgId?: string } = {}) {
    const r = await this.authed((h) =>
      this.rpc.createRoom(
        {
          conversationId,
          title: o.title ?? '',
          clientMsgId: o.clientMsgId ?? randomId(),
          rttMs: Math.round(this.clock.estimator.rttMs),
        },
        h,
      ),
    );
    return { room: this.seen(toRoom(r.room)), cardSeq: r.cardSeq };
  }

  async get(roomId: string): Promise<Room> {
    const r = toRoom((await this.authed((h) => this.rpc.getRoom({ roomId }, h))).room);
    return this.joined.has(roomId) ? this.seen(r) : r;
  }

  async join(roomId: string): Promise<Room> {
    const rttMs = Math.round(this.clock.estimator.rttMs);
    const r = await this.authed((h) => this.rpc.joinRoom({ roomId, rttMs }, h));
    return this.seen(toRoom(r.room));
  }

  async leave(roomId: string): Promise<void> {
    await this.authed((h) => this.rpc.leaveRoom({ roomId }, h));
    this.joined.delete(roomId);
  }

  async listMine(): Promise<Room[]> {
    return (await this.authed((h) => this.rpc.listMyRooms({}, h))).rooms.map(toRoom);
  }

  async addTrack(roomId: string, mediaId: string, o: { title?: string; artist?: string } = {}) {
    const expectedVersion = BigInt(this.version(roomId));
    return this.result(
      await this.authed((h) =>
        this.rpc.addTrack(
          { roomId, mediaId, title: o.title ?? '', artist: o.artist ?? '', expectedVersion },
          h,
        ),
      ),
    );
  }

  async removeTrack(roomId: string, entryId: string) {
    const expectedVersion = BigInt(this.version(roomId));
    return this.result(
      await this.authed((h) => this.rpc.removeTrack({ roomId, entryId, expectedVersion }, h)),
    );
  }

  async reorder(roomId: string, entryIds: string[]) {
    const expectedVersion = BigInt(this.version(roomId));
    return this.result(
      await this.authed((h) => this.rpc.reorderQueue({ roomId, entryIds, expectedVersion }, h)),
    );
  }

  /** play / pause / seek (positionMs) / next / previous; play with entryId starts that track. */
  async control(
    roomId: string,
    action: ControlAction,
    o: { positionMs?: number; entryId?: string; version?: number } = {},
  ): Promise<CommandResult> {
    const r = await this.authed((h) =>
      this.rpc.control(
        {
          roomId,
          action: ACTIONS[action],
          positionMs: o.positionMs ?? 0,
          entryId: o.entryId ?? '',
          expectedVersion: BigInt(o.version ?? this.version(roomId)),
          rttMs: Math.round(this.clock.estimator.rttMs),
        },
        h,
      ),
    );
    return this.result(r);
  }

  async setMode(roomId: string, mode: RoomMode): Promise<Room> {
    return this.seen(
      toRoom((await this.authed((h) => this.rpc.setRoomMode({ roomId, mode: MODES[mode] }, h))).room),
    );
  }

  async transferHost(roomId: string, userId: string): Promise<Room> {
    return this.seen(toRoom((await this.authed((h) => this.rpc.transferHost({ roomId, userId }, h))).room));
  }

  /**
   * Reports this member's player (PlaybackController's `onListening` calls it): the member list
   * shows it, and buffering at the start of a play holds the room at most 3 s, once per
   * command. Returns the state now (later when held, earlier when the last one got ready).
   */
  async setListening(
    roomId: string,
    state: Exclude<ListenState, ''>,
    version = this.version(roomId),
  ): Promise<PlaybackState> {
    const r = await this.authed((h) =>
      this.rpc.setListening({ roomId, state: LISTEN_STATES[state], version: BigInt(version) }, h),
    );
    return toState(r.state);
  }

  /** @internal The room frames of the socket. */
  pushed(body: gateway.ServerFrame['body']): void {
    if (body.case === 'roomState') {
      const e = body.value;
      const state = toState(e.state);
      if (this.joined.has(e.roomId))
        this.joined.set(e.roomId, Math.max(this.version(e.roomId), state.version));
      this.emit('state', e.roomId, state, e.track && toTrack(e.track));
    } else if (body.case === 'roomListen') {
      const e = body.value;
      this.emit('listening', e.roomId, e.userId, toListenState(e.state));
    } else if (body.case === 'roomUpdate' && body.value.room) {
      const room = toRoom(body.value.room);
      if (this.joined.has(room.id)) this.seen(room);
      this.emit('update', room);
    }
  }

  /** @internal After a reconnect: what was missed, from the stored state of each joined room. */
  async resync(): Promise<void> {
    for (const id of [...this.joined.keys()]) {
      try {
        const room = await this.get(id);
        this.emit('update', room);
        const track = room.queue.find((t) => t.entryId === room.state.entryId);
        this.emit('state', id, room.state, track);
      } catch {
        /* gone or left: the next command will say */
      }
    }
  }

  private seen(room: Room): Room {
    if (room.id && !room.closed)
      this.joined.set(room.id, Math.max(this.version(room.id), room.state.version));
    return room;
  }

  private result(r: { applied: boolean; room?: pb.Room }): CommandResult {
    const room = toRoom(r.room);
    if (room.id) this.joined.set(room.id, room.state.version);
    return { applied: r.applied, room };
  }
}
