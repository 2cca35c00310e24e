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
export { isElided } from './mappers.js';
export { RecordsApi, MAX_RECORD_ITEMS, type ForwardAsRecordOptions } from './records-api.js';
export { ContactsApi, type FriendTag } from './contacts-api.js';
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
export { CallsApi, type CallsEvents } from './calls-api.js';
export {
  CallSession,
  type CallSessionEvents,
  type CallSessionOptions,
  qualityOf,
  type Quality,
} from './calls-webrtc.js';
export type {
  Call,
  CallEndReason,
  CallEvent,
  CallHistoryEntry,
  CallMedia,
  CallParticipant,
  CallSignal,
  CallStatus,
  IceServers,
  ParticipantState,
  SignalKind,
} from './calls-types.js';
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
export { RoomsApi, type RoomsEvents } from './rooms-api.js';
export type {
  CommandResult,
  ControlAction,
  ListenState,
  Room,
  RoomMember,
  RoomMode,
  RoomTrack,
} from './rooms-types.js';
export {
  OffsetEstimator,
  sampleOf,
  ServerClock,
  type ClockSample,
  type Pinger,
  type ServerClockOptions,
} from './room-clock.js';
export {
  decideDrift,
  DRIFT,
  expectedPosition,
  PlaybackController,
  type ControllerOptions,
  type DriftAction,
  type DriftInput,
  type PlaybackState,
  type Player,
} from './room-playback.js';
export { SimulatedPlayer } from './room-sim-player.js';
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
  type MomentHit,
  type SquareHit,
  type MessageSearchOptions,
  type MessageSearchResult,
} from './search-api.js';
export { GroupsApi, type GroupInviteLink } from './groups-api.js';
export { FavoritesApi, type Favorite, type FavoritesEvents } from './favorites-api.js';
export { StickersApi, type Sticker, type StickerPack, type StickersEvents } from './stickers-api.js';
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
  LinkPreview,
  ReactionCount,
  ConnectionState,
  ContactEvent,
  Conversation,
  ConversationType,
  MediaRef,
  MessageContent,
  MessageMeta,
  Sealed,
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
