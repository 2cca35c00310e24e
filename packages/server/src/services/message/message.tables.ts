import type { ColumnType } from 'kysely';

/** Row shapes of the message service's tables (see message.migrations.ts). */
export interface MessageTables {
  msg_conversations: {
    id: string;
    type: number;
    direct_key: string | null;
    name: string;
    muted_all: number;
    last_seq: number;
    last_message_at: number;
    created_at: number;
  };
  msg_members: {
    conv_id: string;
    user_id: string;
    role: number;
    send_state: number;
    muted_until: number;
    first_seq: number;
    left_seq: number | null;
    read_seq: number;
    delivered_seq: number;
    muted: number;
    pinned: number;
    pts: number;
    /**
     * The head (last seq the member may read) when the member's pts last stamped this row;
     * a Sync that finds the head past it stamps the row again, so new messages show in Sync
     * without a pts write per member on the send path. Defaults to 0 on insert.
     */
    synced_seq: ColumnType<number, number | undefined, number>;
    /** ClearHistory: nothing up to this seq is the member's any more. Defaults to 0. */
    cleared_seq: ColumnType<number, number | undefined, number>;
  };
  /** Delete for me: seqs one member hid for themself (record-state.ts). */
  msg_hidden: {
    conv_id: string;
    user_id: string;
    seq: number;
  };
  /** One draft per member and conversation (record-state.ts). */
  msg_drafts: {
    conv_id: string;
    user_id: string;
    text: string;
    updated_at: number;
  };
  msg_messages: {
    conv_id: string;
    seq: number;
    id: string;
    sender_id: string;
    client_msg_id: string;
    type: number;
    content: string;
    reply_to_seq: number;
    mentions: string;
    mention_all: number;
    created_at: number;
    recalled_at: number | null;
    /** When the text was last edited (message.edit.ts); null: never. */
    edited_at: ColumnType<number | null, number | null | undefined, number | null>;
  };
  /** One row per (message, emoji, user): the aggregate behind ReactionCount (message.reactions.ts). */
  msg_reactions: {
    conv_id: string;
    seq: number;
    /** The emoji as lower-case hex code points joined by '-' (ASCII: every engine compares it exactly). */
    emoji: string;
    user_id: string;
    created_at: number;
  };
  /** The pinned messages of each conversation (message.pins.ts). */
  msg_pins: {
    conv_id: string;
    seq: number;
    pinned_by: string;
    pinned_at: number;
  };
  /** The EDIT messages of each edited message, so that a recall blanks them too. */
  msg_edits: {
    conv_id: string;
    seq: number;
    event_seq: number;
  };
  msg_user_state: {
    user_id: string;
    pts: number;
    hide_read_receipts: number;
  };
}

export const CONV_DIRECT = 1;
export const CONV_GROUP = 2;
/** A user's own "file transfer" conversation; its one member is that user. */
export const CONV_SELF = 3;
/** An end-to-end encrypted 1:1 chat (docs/security.md): two members, ENCRYPTED messages only. */
export const CONV_ENCRYPTED = 4;
/** The two-person chats: a direct chat and its encrypted twin (friends only, a peer). */
export const isOneToOne = (type: number) => type === CONV_DIRECT || type === CONV_ENCRYPTED;

export const SEND_OK = 0;
export const SEND_NOT_FRIENDS = 1;
export const SEND_BLOCKED = 2;

export const ROLE_MEMBER = 1;
export const ROLE_ADMIN = 2;
export const ROLE_OWNER = 3;

/** A member row as the service uses it. */
export interface MemberRow {
  convId: string;
  userId: string;
  role: number;
  sendState: number;
  mutedUntil: number;
  firstSeq: number;
  leftSeq: number | null;
  readSeq: number;
  deliveredSeq: number;
  muted: boolean;
  pinned: boolean;
  pts: number;
  /** ClearHistory: the member's history starts after this seq (0: never cleared). */
  clearedSeq: number;
}

export interface ConversationRow {
  id: string;
  type: number;
  name: string;
  mutedAll: boolean;
  lastSeq: number;
  lastMessageAt: number;
}

export interface MessageRow {
  convId: string;
  seq: number;
  id: string;
  senderId: string;
  clientMsgId: string;
  type: number;
  content: string;
  replyToSeq: number;
  mentions: string[];
  mentionAll: boolean;
  createdAt: number;
  recalledAt: number | null;
  /** Set when the text was edited (epoch ms). */
  editedAt?: number;
}

/** Message types that change another message and count no unread (reactions, edits, link previews). */
export const SILENT_TYPES: readonly number[] = [22, 23, 25];
