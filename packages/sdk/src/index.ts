/**
 * @mychat/sdk: the one MyChat client for browsers, Node, bots and the load tester.
 */
export { MyChatClient, type MyChatClientOptions, type MyChatEvents } from './client.js';
export {
  AuthApi,
  type ClientType,
  type CodePurpose,
  type Destination,
  type DeviceInfo,
  type DeviceSession,
  type Profile,
} from './auth-api.js';
export { MessagesApi, newClientMsgId, type ReadReceipts, type SendOptions } from './messages-api.js';
export { ContactsApi } from './contacts-api.js';
export {
  MediaApi,
  kindOf,
  type Media,
  type MediaKind,
  type MediaOptions,
  type MediaStatus,
  type MediaVariant,
  type UploadOptions,
} from './media-api.js';
export { MemoryUploadStore, type UploadStore } from './upload-store.js';
export { MomentsApi, type MomentsEvents, type PublishOptions, type SettingsChange } from './moments-api.js';
export { SquareApi, type SquareEvents, type SquarePostOptions } from './square-api.js';
export type {
  Board,
  Post,
  SquareImage,
  SquareNotice,
  SquareNoticeKind,
  SquareReport,
  SquareUser,
  SquareUsers,
  Thread,
  ThreadSort,
} from './square-types.js';
export type {
  AlbumPage,
  AlbumWindow,
  Audience,
  Moment,
  MomentComment,
  MomentHint,
  MomentLike,
  MomentMedia,
  MomentNotice,
  MomentPage,
  MomentsBadge,
  MomentSettings,
  MomentUser,
  MomentUsers,
  NoticeKind,
  NoticePage,
  StrangerAccess,
} from './moments-types.js';
export {
  SearchApi,
  type ChatFileHit,
  type ConversationHits,
  type DriveFileHit,
  type FileKind,
  type FileSearchResult,
  type FriendHit,
  type GroupHit,
  type Highlight,
  type MessageHit,
  type MessageSearchOptions,
  type MessageSearchResult,
} from './search-api.js';
export { GroupsApi, type GroupInviteLink } from './groups-api.js';
export {
  DriveApi,
  type DriveEntry,
  type DriveFile,
  type DriveListing,
  type DriveQuota,
} from './drive-api.js';
export type {
  Friend,
  FriendRequest,
  FriendRequestState,
  Group,
  GroupMember,
  GroupRole,
  UserCard,
} from './contacts-types.js';
export type {
  ChatMessage,
  ConnectionState,
  ContactEvent,
  Conversation,
  ConversationType,
  MediaRef,
  MessageContent,
  MessageMeta,
  OutboxEntry,
  PresenceEvent,
  ReceiptEvent,
  SendState,
  SendStateEvent,
  TypingEvent,
} from './types.js';
export {
  PushApi,
  type BrowserSubscription,
  type PushConfig,
  type PushDevice,
  type PushSettings,
} from './push-api.js';
export { MemoryChatStore, type ChatStore } from './chat-store.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export type { WebSocketConstructor } from './ws-connection.js';
export { MyChatError, toMyChatError } from './errors.js';
export { MemorySessionStore, type SessionStore, type StoredSession } from './session-store.js';
