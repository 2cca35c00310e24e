import { create, type MessageInitShape } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import { gateway, type media, type message, type rooms as pb } from '@mychat/protocol';
import type { Bus } from '../../adapters/bus/bus.js';
import { pushToUsers } from '../../contracts/push-envelope.js';
import type { Logger } from '../../kernel/logger.js';
import { callHeaders } from '../../rpc/call-context.js';

/** Who is acting, and the request id that follows the call into other services and logs. */
export interface Actor {
  userId: string;
  requestId: string;
}

/** The linked conversation, through the message service (the authority on who is in a chat). */
export class RoomChats {
  constructor(private readonly client: Client<typeof message.MessageInternalService>) {}

  /** Whether the user is a member of the conversation now (not one who left). */
  async isMember(userId: string, conversationId: string, requestId: string): Promise<boolean> {
    const r = await this.client.listReadableWindows(
      { userId, conversationId },
      { headers: callHeaders({ requestId }) },
    );
    return r.windows.some((w) => w.conversationId === conversationId && !w.left);
  }

  /** Posts the room card as the user; returns its seq. */
  async postCard(
    actor: Actor,
    conversationId: string,
    clientMsgId: string,
    card: { roomId: string; title: string },
  ): Promise<number> {
    const r = await this.client.postRoomCard(
      { userId: actor.userId, conversationId, clientMsgId, card },
      { headers: callHeaders({ requestId: actor.requestId }) },
    );
    return r.message?.seq ?? 0;
  }
}

/** Tracks' files in the media service: it checks owner, readiness and that they are audio. */
export class RoomFiles {
  constructor(
    private readonly client: Client<typeof media.MediaInternalService>,
    private readonly logger: Logger,
  ) {}

  async attach(holder: { ownerId: string; roomId: string }, mediaId: string, requestId: string) {
    const r = await this.client.attachRoomTrack({ holder, mediaId }, { headers: callHeaders({ requestId }) });
    return { media: r.media!, track: r.track };
  }

  async sign(
    holder: { ownerId: string; roomId: string },
    mediaId: string,
    requestId: string,
  ): Promise<{ url: string; coverUrl: string }> {
    const r = await this.client.signRoomTrackUrl(
      { holder, mediaId },
      { headers: callHeaders({ requestId }) },
    );
    return { url: r.url, coverUrl: r.coverUrl };
  }

  /** Lets go of a track's file; a failure is logged (the file stays until its owner frees it). */
  async detach(holder: { ownerId: string; roomId: string }, mediaId: string, requestId: string) {
    try {
      await this.client.detachRoomTrack({ holder, mediaId }, { headers: callHeaders({ requestId }) });
    } catch (err) {
      this.logger.warn({ err, request_id: requestId }, 'rooms: could not release a track');
    }
  }
}

/** Room frames to members' live sockets. Best effort: a reconnecting member resyncs with GetRoom. */
export class RoomPush {
  constructor(
    private readonly bus: Bus,
    private readonly logger: Logger,
  ) {}

  async state(
    userIds: readonly string[],
    event: MessageInitShape<typeof pb.RoomStateEventSchema>,
  ): Promise<void> {
    await this.send(userIds, { case: 'roomState', value: event });
  }

  async update(
    userIds: readonly string[],
    event: MessageInitShape<typeof pb.RoomUpdateEventSchema>,
  ): Promise<void> {
    await this.send(userIds, { case: 'roomUpdate', value: event });
  }

  async listen(
    userIds: readonly string[],
    event: MessageInitShape<typeof pb.RoomListenEventSchema>,
  ): Promise<void> {
    await this.send(userIds, { case: 'roomListen', value: event });
  }

  private async send(
    userIds: readonly string[],
    body: MessageInitShape<typeof gateway.ServerFrameSchema>['body'],
  ): Promise<void> {
    if (userIds.length === 0) return;
    try {
      await pushToUsers(this.bus, userIds, create(gateway.ServerFrameSchema, { body }));
    } catch (err) {
      this.logger.warn({ err }, 'room frame push failed');
    }
  }
}
