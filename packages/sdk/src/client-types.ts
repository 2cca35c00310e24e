import type { DeviceInfo } from './auth-api.js';
import type { BackoffOptions } from './backoff.js';
import type { ChatStore } from './chat-store.js';
import type { MediaOptions } from './media-api.js';
import type { ServerClockOptions } from './room-clock.js';
import type { SessionStore, StoredSession } from './session-store.js';
import type {
  ChatMessage,
  ConnectionState,
  ContactEvent,
  Conversation,
  MessageMeta,
  PresenceEvent,
  ReceiptEvent,
  SendStateEvent,
  TypingEvent,
} from './types.js';
import type { UploadStore } from './upload-store.js';
import type { WebSocketConstructor } from './web-socket.js';

/** The options and events of MyChatClient (client.ts), apart so that file stays about the client. */
export interface MyChatClientOptions {
  /** Where MyChat runs, e.g. "https://chat.example.com" or "http://127.0.0.1:8080". */
  baseUrl: string;
  /** This installation. Defaults to a web client with a random id (pass a stable one). */
  device?: Partial<DeviceInfo>;
  /** Where the session is kept; in memory by default. */
  sessionStore?: SessionStore;
  /** Where conversations, messages, the sync cursor and unsent messages are kept; in memory by default. */
  chatStore?: ChatStore;
  /** Binary protobuf instead of JSON on the wire (smaller, faster). Default true. */
  binary?: boolean;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof globalThis.fetch;
  /** A WebSocket class (default: globalThis.WebSocket, else the `ws` package in Node). */
  WebSocket?: WebSocketConstructor;
  /** Reconnect delays: jittered exponential from baseMs (500) to capMs (30 000). */
  reconnect?: BackoffOptions;
  /**
   * How long a request (and a send over RPC, when never connected) may wait for its answer
   * before it is retried. A send over the live socket waits for its ack as long as the socket
   * lives (the server always answers) and is retried, with the same clientMsgId, only on the
   * next socket. Default 10 000 ms.
   */
  ackTimeoutMs?: number;
  /** Acknowledge delivery of received messages automatically (batched per conversation). Default true. */
  autoMarkDelivered?: boolean;
  /** Where unfinished resumable uploads are remembered so they resume after a restart; in memory by default. */
  uploadStore?: UploadStore;
  /** Upload tuning: when to go resumable, chunk size, retries after a dropped connection. */
  media?: MediaOptions;
  /** The server clock of listen-together rooms (`client.rooms.clock`): a skewed clock for tests, ping cadence. */
  clock?: ServerClockOptions;
}

/** Events the client emits. Subscribe with `client.on(name, handler)`; it returns an unsubscribe function. */
export interface MyChatEvents extends Record<string, unknown[]> {
  /** The session changed: signed in, token refreshed, signed out, or ended by the server. */
  session: [session: StoredSession | undefined, why: 'login' | 'refresh' | 'logout' | 'ended'];
  /**
   * A message new to this client, once per (conversationId, seq) and in seq order within a
   * conversation; already in the chat store. Includes the user's own (from other devices, or
   * source 'sent' for this one's acks).
   */
  message: [message: ChatMessage, meta: MessageMeta];
  /**
   * Stored messages that newer ones changed: a reaction (their `reactions`), an edit (their
   * text and `editedAt`) or a recall; or the server's link preview arrived (`linkPreview`).
   * Already in the chat store.
   */
  messageUpdated: [message: ChatMessage];
  /** Someone's delivered/read cursors moved. */
  receipt: [receipt: ReceiptEvent];
  /** A friend came online or went offline. */
  presence: [presence: PresenceEvent];
  /** Someone is typing (show it for ~5 s). */
  typing: [typing: TypingEvent];
  /** A conversation's stored view changed (new message, cursors, settings, membership). */
  conversation: [conversation: Conversation];
  /** Friends, requests or groups changed: refresh that list. */
  contact: [event: ContactEvent];
  /** The connection/sync state machine moved (see ConnectionState). */
  state: [state: ConnectionState, reason: string];
  /** The server ended this connection for good: another login of the same client type, logout, revoked. */
  kicked: [reason: string];
  /** A message of one's own moved: pending → sent → delivered → read, or failed. */
  sendState: [event: SendStateEvent];
  /** An operator's notice to everyone, live (all of them: `AdminApi.notices()`, '@mychat/sdk/admin'). */
  systemNotice: [notice: { id: string; title: string; body: string; createdAt: number }];
}
