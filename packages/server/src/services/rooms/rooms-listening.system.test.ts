import { rooms as pb } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupAvailable } from '../../../test/helpers/contacts-helpers.js';
import {
  audio,
  cid,
  reason,
  ROOMS_SETUPS,
  startRoomsEnv,
  trio,
  type RoomsEnv,
} from './rooms.test-helpers.js';

const A = pb.ControlAction;
const L = pb.ListenState;

/**
 * The buffering gate on each engine: a member still loading when a play starts holds the room
 * at most rooms.bufferWaitMs (3 s), once per command, and the last one ready starts it early;
 * one slow member never stalls the room. Members' listening states; bad input.
 */
for (const setup of ROOMS_SETUPS) {
  const ok = await setupAvailable(setup);
  describe.skipIf(!ok)(`rooms: listening and the buffering gate on ${setup.name}`, () => {
    let env: RoomsEnv;
    let shift = 0;
    const clock = { now: () => Date.now() + shift };

    beforeAll(async () => {
      env = await startRoomsEnv(setup, {}, clock);
    });
    afterAll(async () => {
      await env?.stop();
    });

    /** Ann's room with Ben and Cat in it, one track queued, playing. */
    async function playing() {
      const { ann, ben, cat, conv } = await trio(env);
      const { room } = await env.rooms.createRoom({ conversationId: conv, clientMsgId: cid() }, ann.h);
      const roomId = room!.id;
      await env.rooms.joinRoom({ roomId }, ben.h);
      let v = (await env.rooms.getRoom({ roomId }, ann.h)).room!.state!.version;
      v = (await env.rooms.addTrack({ roomId, mediaId: await audio(env, ann), expectedVersion: v }, ann.h))
        .room!.state!.version;
      const play = await env.rooms.control({ roomId, action: A.PLAY, expectedVersion: v }, ann.h);
      const listen = (u: typeof ann, state: pb.ListenState, version: bigint) =>
        env.rooms.setListening({ roomId, state, version }, u.h).then((r) => r.state!);
      const get = async () => (await env.rooms.getRoom({ roomId }, ann.h)).room!;
      return { ann, ben, cat, roomId, play: play.room!.state!, listen, get };
    }

    it('a member buffering at the start holds the room at most 3 s, once; the last one ready starts it early', async () => {
      const { ann, ben, play, listen, get } = await playing();
      const t0 = clock.now();
      const held = await listen(ben, L.BUFFERING, play.version);
      expect(held.version).toBe(play.version + 1n);
      expect(held.playing).toBe(true);
      // Where the track was when the report came: 0 while the play's 300 ms lead lasts (always,
      // on a quiet machine); under load the report can come after the start, and then it holds
      // the room at the position reached, never past what the clock allows.
      expect(held.positionMs).toBeGreaterThanOrEqual(0);
      expect(held.positionMs).toBeLessThanOrEqual(Math.max(0, clock.now() - play.atServerMs));
      expect(held.atServerMs - t0).toBeGreaterThanOrEqual(2900);
      expect(held.atServerMs - clock.now()).toBeLessThanOrEqual(3000);
      const room = await get();
      expect(room.state!.atServerMs).toBe(held.atServerMs);
      expect(room.members.find((m) => m.userId === ben.id)!.listening).toBe(L.BUFFERING);
      // Again, on the held version: once per command, the hold does not grow.
      expect(await listen(ben, L.BUFFERING, held.version)).toEqual(held);
      // Ann is ready, Ben is not: still held.
      expect(await listen(ann, L.LISTENING, held.version)).toEqual(held);
      // Ben is ready: the start comes forward to now + lead (300 ms here), not later than it was.
      const t1 = clock.now();
      const go = await listen(ben, L.LISTENING, held.version);
      expect(go.version).toBe(held.version + 1n);
      expect(go.atServerMs).toBeLessThan(held.atServerMs);
      expect(go.atServerMs - t1).toBeGreaterThanOrEqual(300);
      expect(go.atServerMs - clock.now()).toBeLessThanOrEqual(450);
      expect((await get()).members.map((m) => m.listening)).toEqual([L.LISTENING, L.LISTENING]);
    });

    it('one slow member never stalls the room: after the wait it goes on; mid-song buffering holds nothing', async () => {
      const { ann, ben, play, listen, get } = await playing();
      const held = await listen(ben, L.BUFFERING, play.version);
      // Ben never gets ready. 3 s later the room plays on by itself (no write needed).
      shift += 3200;
      const later = await get();
      expect(later.state).toEqual(held);
      expect(later.state!.atServerMs).toBeLessThan(clock.now());
      // Reporting buffering again and again changes nothing.
      for (let i = 0; i < 3; i++) expect(await listen(ben, L.BUFFERING, held.version)).toEqual(held);
      // A new command may wait once more; buffering mid-song (past the start window) may not.
      const seek = await env.rooms.control(
        { roomId: later.id, action: A.SEEK, positionMs: 500, expectedVersion: held.version },
        ann.h,
      );
      const s = seek.room!.state!;
      shift += 3500;
      expect(await listen(ben, L.BUFFERING, s.version)).toEqual(s);
      // Paused: nothing to hold.
      const pause = await env.rooms.control(
        { roomId: later.id, action: A.PAUSE, expectedVersion: s.version },
        ann.h,
      );
      const p = pause.room!.state!;
      expect(await listen(ben, L.BUFFERING, p.version)).toEqual(p);
      // A report on an older version only updates the member list.
      expect(await listen(ann, L.BUFFERING, play.version)).toEqual(p);
      expect((await get()).members.find((m) => m.userId === ann.id)!.listening).toBe(L.BUFFERING);
    });

    it('bad input: unknown states and versions, strangers, rooms that do not exist', async () => {
      const { ann, cat, roomId, play, listen } = await playing();
      expect(await reason(listen(ann, 0 as pb.ListenState, play.version))).toBe('INVALID_ARGUMENT');
      expect(await reason(listen(ann, 9 as pb.ListenState, play.version))).toBe('INVALID_ARGUMENT');
      expect(await reason(listen(ann, L.LISTENING, -1n))).toBe('INVALID_ARGUMENT');
      expect(await reason(listen(cat, L.BUFFERING, play.version))).toBe('ROOM_NOT_MEMBER');
      expect(
        await reason(env.rooms.setListening({ roomId: '123456789', state: L.IDLE, version: 1n }, ann.h)),
      ).toBe('NOT_FOUND');
      expect(await reason(env.rooms.setListening({ roomId: 'x', state: L.IDLE, version: 1n }, ann.h))).toBe(
        'INVALID_ARGUMENT',
      );
      expect((await env.rooms.getRoom({ roomId }, ann.h)).room!.state).toEqual(play);
    });
  });
}
