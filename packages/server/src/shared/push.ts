import { create, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { gateway } from '@mychat/protocol';
import type { Bus } from '../adapters/bus/bus.js';

/** A push frame (request_id 0) with the given body. */
export const pushFrame = (
  body: MessageInitShape<typeof gateway.ServerFrameSchema>['body'],
): gateway.ServerFrame => create(gateway.ServerFrameSchema, { body });

/** The bus channel of one user's live sockets, on whichever gateways they are. */
export const userChannel = (userId: string) => `u:${userId}`;

/**
 * Pushes one ServerFrame to users' sockets: encoded once, wrapped in a PushEnvelope and
 * published on each user's channel. Best effort: push is a hint, sync is the guarantee.
 * `exceptSessionId` skips the socket that caused the push (it already has the answer).
 */
export async function pushToUsers(
  bus: Bus,
  userIds: Iterable<string>,
  frame: gateway.ServerFrame,
  exceptSessionId = '',
): Promise<void> {
  const envelope = toBinary(
    gateway.PushEnvelopeSchema,
    create(gateway.PushEnvelopeSchema, {
      frame: toBinary(gateway.ServerFrameSchema, frame),
      exceptSessionId,
    }),
  );
  const sends: Promise<void>[] = [];
  for (const id of userIds) sends.push(bus.publish(userChannel(id), envelope));
  await Promise.all(sends);
}
