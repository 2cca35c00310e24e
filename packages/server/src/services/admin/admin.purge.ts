import type { AdminParts } from './admin.peers.js';

/** Messages or files each call of a batched purge handles. */
const BATCH = 200;

/**
 * Everything of a deleted account, each part through its owning module's internal method, in
 * an order where every step is idempotent and the account itself goes last: a crash halfway
 * leaves the account in place, and the next DeleteAccount runs every step again and finishes.
 * Messages and files go in batches (one bounded call at a time), so an account with 100 000
 * messages neither blocks a process nor holds one long transaction.
 */
export async function purgeAccount(p: AdminParts, userId: string, requestId: string): Promise<void> {
  const { peers } = p;
  // What others read: its messages recalled for every member (their devices learn it by Sync).
  for (let more = true; more;)
    ({ more } = await peers.message.internal.purgeUserMessages({ userId, limit: BATCH }));
  // Its files: blobs and rows, quota freed.
  for (let more = true; more;)
    ({ more } = await peers.media.internal.purgeUserMedia({ userId, limit: BATCH }));
  await peers.push.internal.purgeUser({ userId });
  await peers.keys.internal.purgeUser({ userId });
  await peers.rooms.internal.purgeUser({ userId });
  await peers.calls.internal.purgeUser({ userId });
  await peers.moments.internal.purgeUserMoments({ userId });
  await peers.square.internal.purgeUser({ userId });
  // Contacts still looks the account up; then the account and its sessions.
  await peers.contacts.internal.purgeUser({ userId, requestId });
  await peers.auth.directory.purgeAccount({ userId });
}
