import type { MessageStore } from '../../src/services/message/store/message-store.js';
import { CONV_DIRECT } from '../../src/services/message/message.tables.js';

/** A 1:1 conversation `conv` with its members, straight into the message tables, cursors at 0. */
export async function directConversation(repo: MessageStore, conv: string, users: string[]): Promise<void> {
  await repo.insertConversation(repo.db, {
    id: conv,
    type: CONV_DIRECT,
    direct_key: `k${conv}`,
    name: '',
    muted_all: 0,
    last_seq: 0,
    last_message_at: 0,
    created_at: 0,
  });
  for (const user of users)
    await repo.insertMember(repo.db, {
      conv_id: conv,
      user_id: user,
      role: 1,
      send_state: 0,
      muted_until: 0,
      first_seq: 1,
      left_seq: null,
      read_seq: 0,
      delivered_seq: 0,
      muted: 0,
      pinned: 0,
      pts: 0,
    });
}
