import { isUniqueViolation } from '../../adapters/sql/sql.js';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import { closed, delayOf, MODE, type RoomAccess } from './rooms.access.js';
import { positionAt } from './rooms.playback.js';
import type { Actor } from './rooms.peers.js';
import type { MemberRow, RoomRow } from './rooms.repository.js';
import type { RoomMsg } from './rooms.views.js';

/** How often an internal change (join, leave) retries when another change came first. */
const RETRIES = 8;

/** Rooms' lifecycle: create (with the card), get, join, leave, list, mode and host. */
export class RoomLifecycle {
  constructor(private readonly a: RoomAccess) {}

  private get d() {
    return this.a.d;
  }

  async create(
    actor: Actor,
    input: { conversationId: string; title: string; clientMsgId: string; rttMs: number },
  ): Promise<{ room: RoomMsg; cardSeq: number }> {
    const { store, clock } = this.d;
    let room = await store.roomByClient(actor.userId, input.clientMsgId);
    if (room && room.conversationId !== input.conversationId)
      throw errors.invalidArgument('clientMsgId was already used for another room', 'clientMsgId');
    if (!room) {
      if (!(await this.d.chats.isMember(actor.userId, input.conversationId, actor.requestId)))
        throw errors.notFound('no such conversation');
      if ((await store.openCountByCreator(actor.userId)) >= this.d.config.maxOpenPerUser)
        throw errors.invalidArgument(
          `at most ${this.d.config.maxOpenPerUser} open rooms per person; leave one first`,
          'conversationId',
        );
      const now = clock.now();
      room = {
        id: this.d.ids.next(),
        conversationId: input.conversationId,
        creatorId: actor.userId,
        clientMsgId: input.clientMsgId,
        title: input.title,
        hostId: actor.userId,
        mode: MODE.EVERYONE,
        state: { entryId: '', playing: false, positionMs: 0, atServerMs: now, rateMilli: 1000, version: 1 },
        createdAt: now,
        emptySince: null,
        closedAt: null,
      };
      const host = { userId: actor.userId, joinedAt: now, delayMs: delayOf(input.rttMs) };
      try {
        await store.transaction((tx) => tx.insertRoom(room!, host));
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        room = await store.roomByClient(actor.userId, input.clientMsgId);
        if (!room) throw err;
      }
    }
    let cardSeq: number;
    try {
      cardSeq = await this.d.chats.postCard(actor, input.conversationId, input.clientMsgId, {
        roomId: room.id,
        title: room.title,
      });
    } catch (err) {
      // No card, no room: a room nobody can find would only hold its creator.
      await store.close(room.id, clock.now());
      throw err;
    }
    const l = await this.a.forMember(actor, room.id);
    return { room: await this.a.snapshot(l.room, l.members, actor.requestId), cardSeq };
  }

  /** Members see everything; members of the linked chat who have not joined see it without URLs. */
  async get(actor: Actor, roomId: string): Promise<RoomMsg> {
    const l = await this.a.load(roomId, actor.requestId);
    const member = l.members.some((m) => m.userId === actor.userId);
    if (!member && !(await this.d.chats.isMember(actor.userId, l.room.conversationId, actor.requestId)))
      throw new AppError(ErrorCode.ROOM_NOT_MEMBER, 'only members of the chat can see this room');
    return this.a.snapshot(l.room, l.members, actor.requestId, member);
  }

  async join(actor: Actor, roomId: string, rttMs: number): Promise<RoomMsg> {
    const { store, clock } = this.d;
    const delayMs = delayOf(rttMs);
    for (let i = 0; i < RETRIES; i++) {
      const l = await this.a.load(roomId, actor.requestId);
      if (l.room.closedAt !== null) throw closed();
      if (l.members.some((m) => m.userId === actor.userId)) {
        await store.setDelay(roomId, actor.userId, delayMs);
        const again = await this.a.forMember(actor, roomId);
        return this.a.snapshot(again.room, again.members, actor.requestId);
      }
      if (!(await this.d.chats.isMember(actor.userId, l.room.conversationId, actor.requestId)))
        throw new AppError(ErrorCode.ROOM_NOT_MEMBER, 'only members of the chat can join this room');
      if (l.members.length >= this.d.config.membersMax)
        throw errors.invalidArgument('the room is full', 'roomId');
      const now = clock.now();
      const empty = l.members.length === 0;
      const done = await store.transaction(async (tx) => {
        if (
          !(await tx.bump(roomId, l.room.state.version, {
            emptySince: null,
            ...(empty && { hostId: actor.userId }),
          }))
        )
          return false;
        await tx.addMember(roomId, { userId: actor.userId, joinedAt: now, delayMs });
        return true;
      });
      if (done) return this.changed(actor, roomId);
    }
    throw new AppError(ErrorCode.UNAVAILABLE, 'the room is busy; try again');
  }

  /** Leaving hands the host role to the earliest member; the last one out pauses the room. */
  async leave(actor: Actor, roomId: string): Promise<void> {
    const { store, clock } = this.d;
    for (let i = 0; i < RETRIES; i++) {
      const l = await this.a.load(roomId, actor.requestId);
      if (!l.members.some((m) => m.userId === actor.userId)) return;
      const rest = l.members.filter((m) => m.userId !== actor.userId);
      const now = clock.now();
      const s = l.room.state;
      const patch = {
        ...(l.room.hostId === actor.userId && rest[0] && { hostId: rest[0].userId }),
        ...(rest.length === 0 && {
          emptySince: now,
          state: { ...s, playing: false, positionMs: positionAt(s, now), atServerMs: now },
        }),
      };
      const done = await store.transaction(async (tx) => {
        if (!(await tx.bump(roomId, s.version, patch))) return false;
        await tx.removeMember(roomId, actor.userId);
        return true;
      });
      if (done) {
        if (rest.length) {
          const after = await this.a.load(roomId, actor.requestId);
          await this.a.pushUpdate(
            after.members,
            await this.a.snapshot(after.room, after.members, actor.requestId),
          );
        }
        return;
      }
    }
    throw new AppError(ErrorCode.UNAVAILABLE, 'the room is busy; try again');
  }

  async listMine(actor: Actor): Promise<RoomMsg[]> {
    const out: RoomMsg[] = [];
    for (const r of await this.d.store.roomsOf(actor.userId, 50)) {
      const l = await this.a.load(r.id, actor.requestId);
      if (l.room.closedAt === null)
        out.push(await this.a.snapshot(l.room, l.members, actor.requestId, false));
    }
    return out;
  }

  async setMode(actor: Actor, roomId: string, mode: number): Promise<RoomMsg> {
    return this.hostChange(actor, roomId, () => ({ mode }));
  }

  async transferHost(actor: Actor, roomId: string, userId: string): Promise<RoomMsg> {
    return this.hostChange(actor, roomId, (members) => {
      if (!members.some((m) => m.userId === userId))
        throw new AppError(ErrorCode.ROOM_NOT_MEMBER, 'the new host must be a member of the room', {
          field: 'userId',
        });
      return { hostId: userId };
    });
  }

  private async hostChange(
    actor: Actor,
    roomId: string,
    patchOf: (members: MemberRow[], room: RoomRow) => { mode?: number; hostId?: string },
  ): Promise<RoomMsg> {
    for (let i = 0; i < RETRIES; i++) {
      const l = await this.a.forMember(actor, roomId);
      if (l.room.hostId !== actor.userId)
        throw new AppError(ErrorCode.ROOM_HOST_ONLY, 'only the host can do this');
      if (await this.d.store.bump(roomId, l.room.state.version, patchOf(l.members, l.room)))
        return this.changed(actor, roomId);
    }
    throw new AppError(ErrorCode.UNAVAILABLE, 'the room is busy; try again');
  }

  /** The room after a change: pushed to every member, returned to the caller. */
  private async changed(actor: Actor, roomId: string): Promise<RoomMsg> {
    const l = await this.a.forMember(actor, roomId);
    const room = await this.a.snapshot(l.room, l.members, actor.requestId);
    await this.a.pushUpdate(l.members, room);
    return room;
  }
}
