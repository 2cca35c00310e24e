import { message, rooms as pb } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupAvailable } from '../../../test/helpers/contacts-helpers.js';
import {
  audio,
  cid,
  picture,
  reason,
  ROOMS_SETUPS,
  startRoomsEnv,
  trio,
  type RoomsEnv,
} from './rooms.test-helpers.js';

const A = pb.ControlAction;

/** Rooms on each engine: the card, who may join, versions, the queue and its cap, host hand-over. */
for (const setup of ROOMS_SETUPS) {
  const ok = await setupAvailable(setup);
  describe.skipIf(!ok)(`rooms on ${setup.name}`, () => {
    let env: RoomsEnv;
    let shift = 0;
    const clock = { now: () => Date.now() + shift };

    beforeAll(async () => {
      env = await startRoomsEnv(setup, { rooms: { queueMax: 3 } }, clock);
    });
    afterAll(async () => {
      await env?.stop();
    });

    it('creates a room from a chat with a card there; chat members see and join it, strangers cannot', async () => {
      const { ann, ben, cat, conv } = await trio(env);
      const { room, cardSeq } = await env.rooms.createRoom(
        { conversationId: conv, title: 'Friday', clientMsgId: cid(), rttMs: 80 },
        ann.h,
      );
      expect(room!.hostId).toBe(ann.id);
      expect(room!.members.map((m) => m.userId)).toEqual([ann.id]);
      expect(room!.members[0]!.delayMs).toBe(40);
      const history = await env.messages.getHistory({ conversationId: conv, beforeSeq: 0, limit: 10 }, ben.h);
      const card = history.messages.find((m) => m.seq === cardSeq)!;
      expect(card.type).toBe(message.MessageType.ROOM);
      expect(card.content?.body).toEqual({
        case: 'room',
        value: expect.objectContaining({ roomId: room!.id, title: 'Friday' }),
      });
      // Ben sees it from the chat before joining (no URLs), then joins.
      expect((await env.rooms.getRoom({ roomId: room!.id }, ben.h)).room!.title).toBe('Friday');
      const joined = await env.rooms.joinRoom({ roomId: room!.id, rttMs: 0 }, ben.h);
      expect(joined.room!.members.map((m) => m.userId)).toEqual([ann.id, ben.id]);
      // Cat is not in the chat: no room, no card, nothing to see.
      expect(await reason(env.rooms.joinRoom({ roomId: room!.id }, cat.h))).toBe('ROOM_NOT_MEMBER');
      expect(await reason(env.rooms.getRoom({ roomId: room!.id }, cat.h))).toBe('ROOM_NOT_MEMBER');
      expect(await reason(env.rooms.createRoom({ conversationId: conv, clientMsgId: cid() }, cat.h))).toBe(
        'NOT_FOUND',
      );
      // Clients cannot forge a card themselves.
      const forged = env.messages.sendMessage(
        {
          conversationId: conv,
          clientMsgId: cid(),
          content: { body: { case: 'room', value: { roomId: room!.id, title: 'x' } } },
        },
        ben.h,
      );
      expect(await reason(forged)).toBe('UNSUPPORTED_MESSAGE_TYPE');
      expect((await env.rooms.listMyRooms({}, ben.h)).rooms.map((r) => r.id)).toContain(room!.id);
    });

    it('tracks: own audio only, not pictures, not someone else’s file; the queue cap; members only', async () => {
      const { ann, ben, cat, conv } = await trio(env);
      const { room } = await env.rooms.createRoom({ conversationId: conv, clientMsgId: cid() }, ann.h);
      const id = room!.id;
      await env.rooms.joinRoom({ roomId: id }, ben.h);
      let v = (await env.rooms.getRoom({ roomId: id }, ann.h)).room!.state!.version;
      const add = (u: typeof ann, mediaId: string, expectedVersion = v) =>
        env.rooms.addTrack({ roomId: id, mediaId, expectedVersion }, u.h);
      const mine = await audio(env, ann, 'Blue Moon.wav');
      const r1 = await add(ann, mine);
      expect(r1.applied).toBe(true);
      expect(r1.room!.queue.map((t) => t.title)).toEqual(['Blue Moon']);
      v = r1.room!.state!.version;
      expect(await reason(add(ann, await audio(env, ben)))).toBe('PERMISSION_DENIED');
      expect(await reason(add(ann, await picture(env, ann)))).toBe('ROOM_TRACK_UNPLAYABLE');
      expect(await reason(add(cat, await audio(env, cat)))).toBe('ROOM_NOT_MEMBER');
      expect(await reason(add(ann, '12345678901'))).toBe('NOT_FOUND');
      // A stale version: refused with the current room, nothing changes.
      const stale = await add(ben, await audio(env, ben), v - 1n);
      expect(stale.applied).toBe(false);
      expect(stale.room!.state!.version).toBe(v);
      expect(stale.room!.queue).toHaveLength(1);
      v = (await add(ben, await audio(env, ben))).room!.state!.version;
      v = (await add(ann, mine)).room!.state!.version;
      expect(await reason(add(ann, mine))).toBe('ROOM_QUEUE_FULL');
      const q = (await env.rooms.getRoom({ roomId: id }, ann.h)).room!.queue;
      expect(q).toHaveLength(3);
      // Every member may stream the current (first) track; the URL serves ranges.
      const url = q[0]!.url;
      expect(url).toBeTruthy();
      const part = await fetch(new URL(url, env.server.baseUrl), { headers: { range: 'bytes=0-99' } });
      expect(part.status).toBe(206);
      // Reorder: every entry once, else refused.
      const ids = q.map((t) => t.entryId);
      expect(
        await reason(
          env.rooms.reorderQueue({ roomId: id, entryIds: ids.slice(1), expectedVersion: v }, ann.h),
        ),
      ).toBe('INVALID_ARGUMENT');
      const re = await env.rooms.reorderQueue(
        { roomId: id, entryIds: [...ids].reverse(), expectedVersion: v },
        ben.h,
      );
      expect(re.room!.queue.map((t) => t.entryId)).toEqual([...ids].reverse());
      const rm = await env.rooms.removeTrack(
        { roomId: id, entryId: ids[0]!, expectedVersion: re.room!.state!.version },
        ann.h,
      );
      expect(rm.room!.queue.map((t) => t.entryId)).toEqual([ids[2], ids[1]]);
      expect(
        await reason(
          env.rooms.removeTrack(
            { roomId: id, entryId: ids[0]!, expectedVersion: rm.room!.state!.version },
            ann.h,
          ),
        ),
      ).toBe('ROOM_NO_SUCH_TRACK');
    });

    it('control: scheduled ahead, one of two commands on the same version wins, stale ones get the state', async () => {
      const { ann, ben, conv } = await trio(env);
      const { room } = await env.rooms.createRoom(
        { conversationId: conv, clientMsgId: cid(), rttMs: 400 },
        ann.h,
      );
      const id = room!.id;
      await env.rooms.joinRoom({ roomId: id, rttMs: 100 }, ben.h);
      let v = (await env.rooms.getRoom({ roomId: id }, ann.h)).room!.state!.version;
      expect(await reason(env.rooms.control({ roomId: id, action: A.PLAY, expectedVersion: v }, ann.h))).toBe(
        'ROOM_NO_SUCH_TRACK',
      );
      v = (
        await env.rooms.addTrack({ roomId: id, mediaId: await audio(env, ann), expectedVersion: v }, ann.h)
      ).room!.state!.version;
      const before = clock.now();
      const play = await env.rooms.control({ roomId: id, action: A.PLAY, expectedVersion: v }, ben.h);
      expect(play.applied).toBe(true);
      const s = play.room!.state!;
      expect(s.playing).toBe(true);
      expect(s.version).toBe(v + 1n);
      // The lead: Ann's delay (200 ms) + 150 ms margin, at least 300 ms.
      expect(s.atServerMs - before).toBeGreaterThanOrEqual(350);
      expect(s.atServerMs - clock.now()).toBeLessThanOrEqual(350);
      // Two commands based on the same version: exactly one applies.
      const both = await Promise.all([
        env.rooms.control({ roomId: id, action: A.PAUSE, expectedVersion: s.version }, ann.h),
        env.rooms.control(
          { roomId: id, action: A.SEEK, positionMs: 1000, expectedVersion: s.version },
          ben.h,
        ),
      ]);
      expect(both.map((b) => b.applied).sort()).toEqual([false, true]);
      const now = (await env.rooms.getRoom({ roomId: id }, ann.h)).room!.state!;
      expect(now.version).toBe(s.version + 1n);
      for (const b of both) expect(b.room!.state!.version).toBe(now.version);
      // Bad input.
      const bad = (o: object) => env.rooms.control({ roomId: id, expectedVersion: now.version, ...o }, ann.h);
      expect(await reason(bad({ action: 9 }))).toBe('INVALID_ARGUMENT');
      expect(await reason(bad({ action: A.SEEK, positionMs: -5 }))).toBe('INVALID_ARGUMENT');
      expect(await reason(bad({ action: A.SEEK, positionMs: Number.NaN }))).toBe('INVALID_ARGUMENT');
      expect(await reason(bad({ action: A.PLAY, entryId: '999' }))).toBe('ROOM_NO_SUCH_TRACK');
      expect(
        await reason(env.rooms.control({ roomId: id, action: A.PAUSE, expectedVersion: 0n }, ann.h)),
      ).toBe('INVALID_ARGUMENT');
      expect((await env.rooms.getRoom({ roomId: id }, ann.h)).room!.state!.version).toBe(now.version);
    });

    it('host-only mode, hand-over when the host leaves, and the room closes when empty for 10 minutes', async () => {
      const { ann, ben, conv } = await trio(env);
      const { room } = await env.rooms.createRoom({ conversationId: conv, clientMsgId: cid() }, ann.h);
      const id = room!.id;
      await env.rooms.joinRoom({ roomId: id }, ben.h);
      expect(await reason(env.rooms.setRoomMode({ roomId: id, mode: pb.RoomMode.HOST_ONLY }, ben.h))).toBe(
        'ROOM_HOST_ONLY',
      );
      const hostOnly = await env.rooms.setRoomMode({ roomId: id, mode: pb.RoomMode.HOST_ONLY }, ann.h);
      const v = hostOnly.room!.state!.version;
      expect(
        await reason(env.rooms.control({ roomId: id, action: A.PAUSE, expectedVersion: v }, ben.h)),
      ).toBe('ROOM_HOST_ONLY');
      expect(await reason(env.rooms.transferHost({ roomId: id, userId: '1234567' }, ann.h))).toBe(
        'ROOM_NOT_MEMBER',
      );
      // The host leaves: Ben, the earliest member left, is host, and may control.
      await env.rooms.leaveRoom({ roomId: id }, ann.h);
      const after = (await env.rooms.getRoom({ roomId: id }, ben.h)).room!;
      expect(after.hostId).toBe(ben.id);
      expect(after.members.map((m) => m.userId)).toEqual([ben.id]);
      const p = await env.rooms.control(
        { roomId: id, action: A.PAUSE, expectedVersion: after.state!.version },
        ben.h,
      );
      expect(p.applied).toBe(true);
      expect(
        await reason(env.rooms.control({ roomId: id, action: A.PAUSE, expectedVersion: 5n }, ann.h)),
      ).toBe('ROOM_NOT_MEMBER');
      // Everyone leaves; rejoining within 10 minutes works, after it the room is closed.
      await env.rooms.leaveRoom({ roomId: id }, ben.h);
      shift += 9 * 60_000;
      await env.rooms.joinRoom({ roomId: id }, ann.h);
      expect((await env.rooms.getRoom({ roomId: id }, ann.h)).room!.hostId).toBe(ann.id);
      await env.rooms.leaveRoom({ roomId: id }, ann.h);
      shift += 10 * 60_000 + 1000;
      expect(await reason(env.rooms.joinRoom({ roomId: id }, ben.h))).toBe('ROOM_CLOSED');
      expect((await env.rooms.getRoom({ roomId: id }, ben.h)).room!.closed).toBe(true);
      expect((await env.rooms.listMyRooms({}, ann.h)).rooms.map((r) => r.id)).not.toContain(id);
    });
  });
}
