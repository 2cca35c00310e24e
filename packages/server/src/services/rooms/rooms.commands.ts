import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import { delayOf, type Loaded, type RoomAccess } from './rooms.access.js';
import { afterRemoval, applyCommand, leadMs, noSuchTrack, type Command } from './rooms.playback.js';
import type { Actor } from './rooms.peers.js';
import type { EntryRow, PlayState, RoomsStore } from './rooms.repository.js';
import type { RoomMsg } from './rooms.views.js';

/** A command's answer: applied, or refused as stale; either way the room as it is now. */
export interface Answer {
  applied: boolean;
  room: RoomMsg;
}

/**
 * The versioned commands: playback and the queue. Each names the version it was based on;
 * one based on an older version changes nothing and gets the current room back. Playback
 * changes are scheduled `lead` ms ahead so every member applies them at the same server time.
 */
export class RoomCommands {
  constructor(private readonly a: RoomAccess) {}

  private get d() {
    return this.a.d;
  }

  async control(
    actor: Actor,
    roomId: string,
    expected: number,
    cmd: Command,
    rttMs: number,
  ): Promise<Answer> {
    if (rttMs > 0) await this.d.store.setDelay(roomId, actor.userId, delayOf(rttMs));
    const l = await this.a.forMember(actor, roomId);
    this.a.checkControl(l.room, actor.userId);
    if (l.room.state.version !== expected) return this.stale(actor, l);
    const queue = await this.d.store.queue(roomId);
    const at = this.d.clock.now() + leadMs(l.members, this.d.config);
    const state = applyCommand(l.room.state, queue, cmd, at);
    if (!(await this.d.store.bump(roomId, expected, { state })))
      return this.stale(actor, await this.a.forMember(actor, roomId));
    return this.stateChanged(actor, roomId, { ...state, version: expected + 1 }, queue);
  }

  async addTrack(
    actor: Actor,
    roomId: string,
    expected: number,
    input: { mediaId: string; title: string; artist: string },
  ): Promise<Answer> {
    const { store, files } = this.d;
    const l = await this.a.forMember(actor, roomId);
    this.a.checkControl(l.room, actor.userId);
    if (l.room.state.version !== expected) return this.stale(actor, l);
    const queue = await store.queue(roomId);
    if (queue.length >= this.d.config.queueMax)
      throw new AppError(ErrorCode.ROOM_QUEUE_FULL, `a room holds at most ${this.d.config.queueMax} tracks`);
    const holder = { ownerId: actor.userId, roomId };
    const { media: file, track } = await files.attach(holder, input.mediaId, actor.requestId);
    const entry: EntryRow = {
      id: this.d.ids.next(),
      mediaId: file.id,
      addedBy: actor.userId,
      title: input.title || track?.title || file.name.replace(/\.[^.]*$/, '') || 'Untitled',
      artist: input.artist || track?.artist || '',
      mime: track?.mime || file.mime,
      durationMs: track?.durationMs || file.durationMs,
      ord: (queue.at(-1)?.ord ?? 0) + 1,
    };
    const applied = await store.transaction(async (tx) => {
      if (!(await tx.bump(roomId, expected, {}))) return false;
      // Counted again inside: two adds based on different versions cannot pass the cap together.
      if ((await tx.queue(roomId)).length >= this.d.config.queueMax)
        throw new AppError(
          ErrorCode.ROOM_QUEUE_FULL,
          `a room holds at most ${this.d.config.queueMax} tracks`,
        );
      await tx.insertEntry(roomId, entry);
      return true;
    });
    if (!applied) {
      if (!queue.some((e) => e.mediaId === file.id)) await files.detach(holder, file.id, actor.requestId);
      return this.stale(actor, await this.a.forMember(actor, roomId));
    }
    return this.queueChanged(actor, roomId);
  }

  async removeTrack(actor: Actor, roomId: string, expected: number, entryId: string): Promise<Answer> {
    const { store, clock } = this.d;
    const l = await this.a.forMember(actor, roomId);
    this.a.checkControl(l.room, actor.userId);
    if (l.room.state.version !== expected) return this.stale(actor, l);
    const queue = await store.queue(roomId);
    const gone = queue.find((e) => e.id === entryId);
    if (!gone) throw noSuchTrack('entryId');
    const at = clock.now() + leadMs(l.members, this.d.config);
    const state = afterRemoval(l.room.state, queue, entryId, at);
    const moved = state !== l.room.state;
    const applied = await store.transaction(async (tx) => {
      if (!(await tx.bump(roomId, expected, moved ? { state } : {}))) return false;
      await tx.deleteEntry(roomId, entryId);
      return true;
    });
    if (!applied) return this.stale(actor, await this.a.forMember(actor, roomId));
    if (!queue.some((e) => e.id !== entryId && e.mediaId === gone.mediaId && e.addedBy === gone.addedBy))
      await this.d.files.detach({ ownerId: gone.addedBy, roomId }, gone.mediaId, actor.requestId);
    if (moved) await this.pushState(actor, roomId, { ...state, version: expected + 1 }, queue);
    return this.queueChanged(actor, roomId);
  }

  async reorder(actor: Actor, roomId: string, expected: number, entryIds: string[]): Promise<Answer> {
    const l = await this.a.forMember(actor, roomId);
    this.a.checkControl(l.room, actor.userId);
    if (l.room.state.version !== expected) return this.stale(actor, l);
    const queue = await this.d.store.queue(roomId);
    const have = new Set(queue.map((e) => e.id));
    if (
      entryIds.length !== queue.length ||
      new Set(entryIds).size !== entryIds.length ||
      !entryIds.every((e) => have.has(e))
    )
      throw errors.invalidArgument('entryIds must list every entry of the queue once', 'entryIds');
    const applied = await this.d.store.transaction(async (tx: RoomsStore) => {
      if (!(await tx.bump(roomId, expected, {}))) return false;
      await tx.setOrder(roomId, entryIds);
      return true;
    });
    if (!applied) return this.stale(actor, await this.a.forMember(actor, roomId));
    return this.queueChanged(actor, roomId);
  }

  private async stale(actor: Actor, l: Loaded): Promise<Answer> {
    return { applied: false, room: await this.a.snapshot(l.room, l.members, actor.requestId) };
  }

  private async stateChanged(
    actor: Actor,
    roomId: string,
    state: PlayState,
    queue: EntryRow[],
  ): Promise<Answer> {
    await this.pushState(actor, roomId, state, queue);
    const l = await this.a.forMember(actor, roomId);
    return { applied: true, room: await this.a.snapshot(l.room, l.members, actor.requestId) };
  }

  private async pushState(actor: Actor, roomId: string, state: PlayState, queue: EntryRow[]): Promise<void> {
    await this.a.pushState(actor, await this.a.load(roomId, actor.requestId), state, queue);
  }

  private async queueChanged(actor: Actor, roomId: string): Promise<Answer> {
    const l = await this.a.forMember(actor, roomId);
    const room = await this.a.snapshot(l.room, l.members, actor.requestId);
    await this.a.pushUpdate(l.members, room);
    return { applied: true, room };
  }
}
