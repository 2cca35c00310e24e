import type { Generated } from 'kysely';
/** Row shapes of the contacts service's tables (see contacts.migrations.ts). */
export interface ContactsTables {
  contacts_friend_requests: {
    id: string;
    from_id: string;
    to_id: string;
    note: string;
    state: number;
    created_at: number;
    updated_at: number;
  };
  contacts_friends: {
    user_id: string;
    friend_id: string;
    remark: string;
    conversation_id: string | null;
    created_at: number;
  };
  contacts_blocks: { user_id: string; blocked_id: string; created_at: number };
  contacts_tags: { id: string; owner_id: string; name: string; created_at: number };
  contacts_tag_members: { tag_id: string; friend_id: string };
  contacts_groups: {
    id: string;
    name: string;
    announcement: string;
    owner_id: string;
    muted_all: number;
    /** Defaults to '' (migration 0003). */
    avatar_url: Generated<string>;
    created_at: number;
    updated_at: number;
  };
  contacts_group_members: {
    group_id: string;
    user_id: string;
    role: number;
    muted_until: number;
    joined_at: number;
  };
  contacts_group_invites: {
    token_hash: string;
    group_id: string;
    created_by: string;
    created_at: number;
    expires_at: number;
  };
  contacts_group_removals: { group_id: string; user_id: string; removed_at: number };
  contacts_pending_sync: { sync_key: string; token: string; created_at: number };
}
