import { create } from '@bufbuild/protobuf';
import { gateway } from '@mychat/protocol';
import type { Kv } from '../adapters/kv/kv.js';

/** Online marker: a kv lease set of the gateways holding at least one socket of the user. */
export const presenceKey = (userId: string) => `presence:${userId}`;
/** When the user was last seen online, epoch ms. */
export const lastSeenKey = (userId: string) => `presence:last-seen:${userId}`;
/** How long "last seen" is remembered. */
export const LAST_SEEN_TTL_MS = 30 * 86_400_000;

/**
 * Presence of users as a client may be shown it: online, or offline since `lastSeenMs`
 * (0 when never seen, or not for the last 30 days). Callers decide who may see whom (the
 * contacts presence audience); this only reads the shared kv.
 */
export async function presenceOf(kv: Kv, userIds: readonly string[]): Promise<gateway.PresenceEvent[]> {
  return Promise.all(
    userIds.map(async (userId) => {
      const [count, lastSeen] = await Promise.all([
        kv.leaseCount(presenceKey(userId)),
        kv.get(lastSeenKey(userId)),
      ]);
      const online = count > 0;
      return create(gateway.PresenceEventSchema, {
        userId,
        online,
        lastSeenMs: online ? 0 : Number(lastSeen) || 0,
      });
    }),
  );
}
