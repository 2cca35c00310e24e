import type { RoomAccess } from './rooms.access.js';
import { holdFor, leadMs, releaseAt } from './rooms.playback.js';
import type { Actor } from './rooms.peers.js';
import type { PlayState } from './rooms.repository.js';

/** mychat.rooms.v1.ListenState. */
export const LISTEN = { IDLE: 1, LISTENING: 2, BUFFERING: 3 } as const;

/** A member's listening changes reach the others at most this often (one process's view). */
const PUSH_EVERY_MS = 1000;

/**
 * Members' players: what each reports (idle, listening, buffering) for the member list, and
 * the buffering gate. A member buffering at the start of a play holds the room at most
 * `rooms.bufferWaitMs`, once per command; the last buffering member becoming ready starts it
 * early. The hold and the release are ordinary versioned state changes, pushed as room_state.
 */
export class RoomListening {
  private readonly lastPush = new Map<
    string,
    { at: number; state: number; timer?: ReturnType<typeof setTimeout> }
  >();

  constructor(private readonly a: RoomAccess) {}

  private get d() {
    return this.a.d;
  }

  async set(actor: Actor, roomId: string, state: number, version: number): Promise<PlayState> {
    const { store, clock, config } = this.d;
    const l = await this.a.forMember(actor, roomId);
    const me = l.members.find((m) => m.userId === actor.userId)!;
    if (me.listening !== state) {
      await store.setListening(roomId, actor.userId, state);
      me.listening = state;
      await this.announce(
        actor,
        roomId,
        l.members.map((m) => m.userId),
        state,
      );
    }
    const s = l.room.state;
    if (version !== s.version) return s;
    const now = clock.now();
    const waiting = l.members.some((m) => m.listening === LISTEN.BUFFERING);
    const next =
      state === LISTEN.BUFFERING
        ? holdFor(s, now, config)
        : state === LISTEN.LISTENING && !waiting
          ? releaseAt(s, now, leadMs(l.members, config))
          : undefined;
    if (!next) return s;
    // Another change came first: that one is the state now (and starts without a hold).
    if (!(await store.bump(roomId, s.version, { state: next })))
      return (await this.a.forMember(actor, roomId)).room.state;
    const changed = { ...next, version: s.version + 1 };
    await this.a.pushState(actor, l, changed, await store.queue(roomId));
    return changed;
  }

  /**
   * Tells the others. A member flapping between states is pushed at most once a second: a
   * change within the second goes out at its end (the latest state then), never lost.
   */
  private async announce(actor: Actor, roomId: string, to: string[], state: number): Promise<void> {
    const key = `${roomId}:${actor.userId}`;
    const now = this.d.clock.now();
    const last = this.lastPush.get(key);
    const send = (s: number) => this.d.push.listen(to, { roomId, userId: actor.userId, state: s });
    if (last && now - last.at < PUSH_EVERY_MS) {
      last.state = state;
      last.timer ??= setTimeout(
        () => {
          last.timer = undefined;
          last.at = this.d.clock.now();
          void send(last.state);
        },
        PUSH_EVERY_MS - (now - last.at),
      );
      return;
    }
    this.lastPush.set(key, { at: now, state });
    if (this.lastPush.size > 10_000) {
      const [oldest, v] = this.lastPush.entries().next().value!;
      if (!v.timer) this.lastPush.delete(oldest);
    }
    await send(state);
  }
}
