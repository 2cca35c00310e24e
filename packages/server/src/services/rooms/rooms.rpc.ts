import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import type { rooms as pb } from '@mychat/protocol';
import { errors } from '../../kernel/errors.js';
import { parseId } from '../../kernel/ids.js';
import { callInfo, requireCaller } from '../../rpc/call-context.js';
import { MODE } from './rooms.access.js';
import type { RoomCommands } from './rooms.commands.js';
import { LISTEN, type RoomListening } from './rooms.listening.js';
import { MAX_POSITION_MS } from './rooms.playback.js';
import type { Actor } from './rooms.peers.js';
import type { RoomLifecycle } from './rooms.service.js';
import { stateMsg } from './rooms.views.js';

const CLIENT_MSG_ID = /^[A-Za-z0-9._:-]{1,64}$/;

function actorOf(ctx: HandlerContext): Actor {
  return { userId: requireCaller(ctx).userId, requestId: callInfo(ctx).requestId };
}

function text(v: string, field: string, max: number): string {
  const t = v.trim();
  if ([...t].length > max) throw errors.tooLong(field, max);
  for (const ch of t)
    if (ch.charCodeAt(0) < 0x20 || ch === '\u007f')
      throw errors.invalidArgument(`${field} holds control characters`, field);
  return t;
}

function version(v: bigint): number {
  if (v < 1n || v > BigInt(Number.MAX_SAFE_INTEGER))
    throw errors.invalidArgument(
      'expectedVersion must be the version of the room you saw',
      'expectedVersion',
    );
  return Number(v);
}

function rtt(v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 60_000)
    throw errors.invalidArgument('rttMs must be 0-60000', 'rttMs');
  return v;
}

function position(v: number): number {
  if (!Number.isFinite(v) || v < 0 || v > MAX_POSITION_MS)
    throw errors.invalidArgument(`positionMs must be 0-${MAX_POSITION_MS}`, 'positionMs');
  return v;
}

/** RoomsService over the wire: parse and validate, call, shape the answer. */
export function roomsRpc(p: {
  life: RoomLifecycle;
  cmds: RoomCommands;
  listening: RoomListening;
}): ServiceImpl<typeof pb.RoomsService> {
  return {
    async createRoom(req, ctx) {
      const actor = actorOf(ctx);
      if (!CLIENT_MSG_ID.test(req.clientMsgId))
        throw errors.invalidArgument('clientMsgId must be 1-64 letters, digits or . _ : -', 'clientMsgId');
      return p.life.create(actor, {
        conversationId: parseId(req.conversationId, 'conversationId'),
        title: text(req.title, 'title', 60),
        clientMsgId: req.clientMsgId,
        rttMs: rtt(req.rttMs),
      });
    },
    async getRoom(req, ctx) {
      return { room: await p.life.get(actorOf(ctx), parseId(req.roomId, 'roomId')) };
    },
    async joinRoom(req, ctx) {
      return { room: await p.life.join(actorOf(ctx), parseId(req.roomId, 'roomId'), rtt(req.rttMs)) };
    },
    async leaveRoom(req, ctx) {
      await p.life.leave(actorOf(ctx), parseId(req.roomId, 'roomId'));
      return {};
    },
    async listMyRooms(_req, ctx) {
      return { rooms: await p.life.listMine(actorOf(ctx)) };
    },
    async addTrack(req, ctx) {
      const actor = actorOf(ctx);
      return p.cmds.addTrack(actor, parseId(req.roomId, 'roomId'), version(req.expectedVersion), {
        mediaId: parseId(req.mediaId, 'mediaId'),
        title: text(req.title, 'title', 200),
        artist: text(req.artist, 'artist', 200),
      });
    },
    async removeTrack(req, ctx) {
      const actor = actorOf(ctx);
      const roomId = parseId(req.roomId, 'roomId');
      return p.cmds.removeTrack(actor, roomId, version(req.expectedVersion), parseId(req.entryId, 'entryId'));
    },
    async reorderQueue(req, ctx) {
      const actor = actorOf(ctx);
      const roomId = parseId(req.roomId, 'roomId');
      if (req.entryIds.length > 20_000) throw errors.invalidArgument('too many entries', 'entryIds');
      const ids = req.entryIds.map((e) => parseId(e, 'entryIds'));
      return p.cmds.reorder(actor, roomId, version(req.expectedVersion), ids);
    },
    async control(req, ctx) {
      const actor = actorOf(ctx);
      const roomId = parseId(req.roomId, 'roomId');
      const cmd = {
        action: req.action,
        positionMs: position(req.positionMs),
        entryId: req.entryId ? parseId(req.entryId, 'entryId') : '',
      };
      if (cmd.action < 1 || cmd.action > 5)
        throw errors.invalidArgument('action must be PLAY, PAUSE, SEEK, NEXT or PREVIOUS', 'action');
      return p.cmds.control(actor, roomId, version(req.expectedVersion), cmd, rtt(req.rttMs));
    },
    async setRoomMode(req, ctx) {
      if (req.mode !== MODE.EVERYONE && req.mode !== MODE.HOST_ONLY)
        throw errors.invalidArgument('mode must be EVERYONE or HOST_ONLY', 'mode');
      return { room: await p.life.setMode(actorOf(ctx), parseId(req.roomId, 'roomId'), req.mode) };
    },
    async transferHost(req, ctx) {
      const actor = actorOf(ctx);
      const roomId = parseId(req.roomId, 'roomId');
      return { room: await p.life.transferHost(actor, roomId, parseId(req.userId, 'userId')) };
    },
    async setListening(req, ctx) {
      const actor = actorOf(ctx);
      const roomId = parseId(req.roomId, 'roomId');
      if (!Object.values<number>(LISTEN).includes(req.state))
        throw errors.invalidArgument('state must be IDLE, LISTENING or BUFFERING', 'state');
      if (req.version < 0n || req.version > BigInt(Number.MAX_SAFE_INTEGER))
        throw errors.invalidArgument('version must be a RoomState.version', 'version');
      const state = await p.listening.set(actor, roomId, req.state, Number(req.version));
      return { state: stateMsg(state) };
    },
  };
}
