import type { MyChatError } from './errors.js';

/**
 * The plain objects the SDK hands to apps and keeps in its ChatStore. They hold no protobuf
 * classes, so a store can put them in IndexedDB (structured clone) or JSON as they are.
 */

/** A media file referenced by a message (uploads come with the media service). */
export interface MediaRef {
  mediaId: string;
  mime: string;
  /** Bytes, as a decimal string (64-bit). */
  size: string;
  width: number;
  height: number;
  placeholder: string;
}

/** What a message carries; `type` says which. */
export type MessageContent =
  | { type: 'text'; text: string }
  | { type: 'image'; images: MediaRef[] }
  | { type: 'voice'; audio?: MediaRef; durationMs: number; waveform: number[] }
  | { type: 'video'; video?: MediaRef; poster?: MediaRef; durationMs: number }
  | { type: 'file'; file?: MediaRef; name: string }
  /** A recall: `seq` names the message it took back (which becomes a tombstone). */
  | { type: 'recall'; seq: number; byUserId: string }
  /**
   * Silent: someone added or removed a reaction on message `seq`; `counts` are that message's
   * reactions after it (the SDK applies them to the stored message: see ChatMessage.reactions).
   */
  | { type: 'reaction'; seq: number; emoji: string; remove: boolean; counts: ReactionCount[] }
  /** Silent: message `seq` got a new text (the SDK applies it to the stored message). */
  | { type: 'edit'; seq: number; text: string }
  /**
   * Silent, written by the server: text message `seq`'s link preview is ready (the SDK puts it
   * on the stored message: see ChatMessage.linkPreview). `preview` is absent when the message
   * is outside the part of the history this user may read.
   */
  | { type: 'linkPreview'; seq: number; preview?: LinkPreview }
  /** Message `seq` was pinned (or unpinned) in the conversation's pinned bar. */
  | { type: 'pin'; seq: number; unpin: boolean }
  /** Written by the server, e.g. kind "member_joined" with args. */
  | { type: 'system'; kind: string; args: Record<string, string> }
  /**
   * Merge-forward (合并转发, `messages.forwardAsRecord`): snapshots of other messages, oldest
   * first. Open their files with `media.attachmentUrl` on THIS message's conversation and seq.
   */
  | { type: 'chatRecord'; title: string; sourceType: ConversationType; items: ChatRecordItem[] }
  /**
   * A sticker (表情包), drawn without a bubble: the sender's own (`packId` empty) or one of an
   * installed pack's. Open `image` through `media.attachmentUrl` (original: stays animated).
   */
  | { type: 'sticker'; image?: MediaRef; packId: string; emoji: string }
  /** A listen-together room card: join it with `client.rooms.join(roomId)`. */
  | { type: 'room'; roomId: string; title: string }
  /**
   * A call's record, written by the server when the call ends (sent by the caller): outcome
   * completed, cancelled, declined, no_answer, busy or dropped; the duration from the answer.
   */
  | {
      type: 'call';
      callId: string;
      media: 'voice' | 'video';
      outcome: string;
      durationMs: number;
      joinedUserIds: string[];
    }
  /** End-to-end encrypted (an encrypted chat): open it with `@mychat/sdk/e2ee` (`E2ee.open`). */
  | { type: 'encrypted'; sealed: Sealed }
  /** A tombstone (recalled) or a kind this SDK version does not know. */
  | { type: 'empty' };

/** An encrypted message as the server relays it (docs/protocol.md, section 18). */
export interface Sealed {
  version: number;
  ciphertext: Uint8Array;
  nonce: Uint8Array;
  senderDeviceId: string;
  ephemeralKey: Uint8Array;
  keys: { userId: string; deviceId: string; wrapped: Uint8Array }[];
  /** The encrypted files it carries (opaque blobs). */
  files: MediaRef[];
}

/** One emoji's reactions on a message. */
export interface ReactionCount {
  emoji: string;
  count: number;
  /** The signed-in user is among them. */
  mine: boolean;
}

/** One forwarded message inside a chat record, as it was when forwarded. */
export interface ChatRecordItem {
  senderId: string;
  /** Epoch ms of the original message. */
  createdAt: number;
  content: MessageContent;
}

/** One message of a conversation, identified by (conversationId, seq). */
export interface ChatMessage {
  conversationId: string;
  /** Per conversation, strictly increasing and gapless from 1. */
  seq: number;
  /** Globally unique, time-ordered 64-bit id as a decimal string. */
  id: string;
  senderId: string;
  clientMsgId: string;
  content: MessageContent;
  /** The seq this message quotes, 0 for none. */
  replyToSeq: number;
  mentionUserIds: string[];
  mentionAll: boolean;
  /** Epoch ms on the server. */
  createdAt: number;
  /** Taken back by its sender or an admin: the content is gone. */
  recalled: boolean;
  /** Reactions (表情回应), most used first; absent when none. */
  reactions?: ReactionCount[];
  /** Epoch ms of the last edit of its text ("edited"); absent when never edited. */
  editedAt?: number;
  /** Deleted for me (`messages.hideMessages`, on any of my devices): no content; others still see it. */
  hidden?: boolean;
  /**
   * The server's preview of the text's first link (title, description, site), when it could
   * read the page; it arrives after the message ('messageUpdated'). No image: never hot-link.
   */
  linkPreview?: LinkPreview;
}

/** What the server read from a linked page. */
export interface LinkPreview {
  /** The page that answered (after redirects). */
  url: string;
  title: string;
  description: string;
  siteName: string;
  /**
   * The page's image as a small WebP thumbnail (at most 160x160, at most 16 KB) the server
   * fetched; absent when the page has none. Show it as a blob: URL (`image/webp`).
   */
  image?: Uint8Array;
}

/**
 * `self`: the user's own "file transfer" conversation (messages.fileTransferConversation());
 * `encrypted`: an end-to-end encrypted chat with `peerId` (`@mychat/sdk/e2ee`).
 */
export type ConversationType = 'direct' | 'group' | 'self' | 'encrypted';

/** The signed-in user's view of one conversation. */
export interface Conversation {
  id: string;
  type: ConversationType;
  /** Direct: the other person. */
  peerId: string;
  /** Group: its name. */
  name: string;
  lastSeq: number;
  readSeq: number;
  deliveredSeq: number;
  unreadCount: number;
  muted: boolean;
  pinned: boolean;
  lastMessage?: ChatMessage;
  /** Direct: how far the other person has received and read (0 when they hide read receipts). */
  peerDeliveredSeq: number;
  peerReadSeq: number;
  /** Whether the user may send here now (friends, not blocked, a member, not muted). */
  canSend: boolean;
  /** The first seq the user may read (members see history from when they joined). */
  firstSeq: number;
  /** The user's update counter when this conversation last changed for them. */
  pts: number;
  /** The user has left or was removed: history stays readable up to lastSeq. */
  left: boolean;
  memberCount: number;
  /** The seqs of the pinned messages, newest pin first (messages.pinned() gives them). */
  pinnedSeqs: number[];
  /** I cleared the history up to this seq (`messages.clearHistory`): nothing up to it is shown. */
  clearedSeq: number;
  /** Seqs after clearedSeq I deleted for myself (`messages.hideMessages`), ascending. */
  hiddenSeqs: number[];
  /** My draft, kept on the server for my other devices (`messages.setDraft`). */
  draft?: { text: string; updatedAt: number };
}

/**
 * The connection and sync state machine:
 *
 * ```
 * idle ─connect()→ connecting → authenticating → syncing → live
 *                      ↑                                    │ socket lost / server draining
 *                      └──────────── reconnecting ←─────────┘
 * any ─close() / kicked / session ended→ stopped ─connect()→ connecting
 * ```
 */
export type ConnectionState =
  'idle' | 'connecting' | 'authenticating' | 'syncing' | 'live' | 'reconnecting' | 'stopped';

/** Where a message of one's own stands. */
export type SendState = 'pending' | 'sent' | 'delivered' | 'read' | 'failed';

export interface SendStateEvent {
  conversationId: string;
  clientMsgId: string;
  state: SendState;
  /** Known from 'sent' on. */
  seq?: number;
  /** Set with 'failed'. */
  error?: MyChatError;
}

/** Someone's delivered/read cursors moved in a conversation. */
export interface ReceiptEvent {
  conversationId: string;
  userId: string;
  deliveredSeq: number;
  readSeq: number;
}

export interface PresenceEvent {
  userId: string;
  online: boolean;
  /** Epoch ms when last seen online (set when offline). */
  lastSeenMs: number;
}

export interface TypingEvent {
  conversationId: string;
  userId: string;
}

/** Friends, requests or groups changed for the user: refresh that list. */
export interface ContactEvent {
  /** friend_request, friend_added, friend_removed, group_joined, group_left, group_changed. */
  kind: string;
  userId: string;
  groupId: string;
  requestId: string;
}

/** A send not yet acknowledged by the server, kept in the store so it survives restarts. */
export interface OutboxEntry {
  clientMsgId: string;
  conversationId: string;
  content: MessageContent;
  replyToSeq: number;
  mentionUserIds: string[];
  mentionAll: boolean;
  /** Forwarding: the message whose files this one reuses (the server checks the sender sees it). */
  forwardedFrom?: { conversationId: string; seq: number };
  /** Epoch ms when the app asked to send. */
  createdAt: number;
}

/** How a 'message' event's message reached the client. */
export interface MessageMeta {
  /** 'push' arrived live; 'sync' was pulled while catching up; 'sent' is the ack of one's own send. */
  source: 'push' | 'sync' | 'sent';
}
