import type { DescService } from '@bufbuild/protobuf';
import { createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-web';
import {
  auth,
  calls,
  contacts,
  favorites,
  stickers,
  media,
  message,
  moments,
  push,
  search,
  type gateway,
} from '@mychat/protocol';
import { AuthApi, type DeviceInfo } from './auth-api.js';
import { socketFirstBackend, type Authed, type ChatBackend } from './chat-backend.js';
import { MemoryChatStore, type ChatStore } from './chat-store.js';
import { ConnectionLoop } from './connection-loop.js';
import { ContactsApi } from './contacts-api.js';
import { DeliveryAcker } from './delivery-acker.js';
import { DriveApi } from './drive-api.js';
import { MyChatError } from './errors.js';
import { Emitter } from './events.js';
import { GroupsApi } from './groups-api.js';
import { toContactEvent, toConversation, toMessage, toPresence, toReceipt, toTyping } from './mappers.js';
import { MediaApi } from './media-api.js';
import { MessagesApi } from './messages-api.js';
import { MomentsApi } from './moments-api.js';
import { RecordsApi } from './records-api.js';
import { FavoritesApi } from './favorites-api.js';
import { StickersApi } from './stickers-api.js';
import type { MyChatClientOptions, MyChatEvents } from './client-types.js';
import { CallsApi } from './calls-api.js';
import { SquareApi } from './square-api.js';
import { Outbox } from './outbox.js';
import { PushApi } from './push-api.js';
import { RoomsApi } from './rooms-api.js';
import { SearchApi } from './search-api.js';
import { MemorySessionStore, type StoredSession } from './session-store.js';
import { SyncEngine } from './sync-engine.js';
import { MemoryUploadStore } from './upload-store.js';
import type { ChatMessage, ConnectionState, MessageMeta } from './types.js';
import { createSendLink } from './send-link.js';
import { loadWebSocket } from './web-socket.js';
import { randomId } from './random-id.js';

export type { MyChatClientOptions, MyChatEvents } from './client-types.js';

/**
 * The MyChat client for browsers, Node and bots.
 *
 * ```ts
 * const client = new MyChatClient({ baseUrl: 'http://127.0.0.1:8080', device: { clientType: 'bot', deviceId: 'echo-1', name: 'Echo bot' } });
 * await client.auth.login({ to: { email: 'bot@example.com' }, password: '...' });
 * client.on('message', (m) => console.log(m.conversationId, m.seq, m.content));
 * await client.connect();
 * await client.messages.sendText(conversationId, 'hello');
 * ```
 */
export class MyChatClient extends Emitter<MyChatEvents> {
  readonly auth: AuthApi;
  /** Conversations and messages. */
  readonly messages: MessagesApi;
  /** People, friends, requests, blocking. */
  readonly contacts: ContactsApi;
  /** Groups and members. */
  readonly groups: GroupsApi;
  /** "My files": the user's cloud drive. */
  readonly drive: DriveApi;
  /** Files: uploads, descriptions, download URLs. */
  readonly media: MediaApi;
  /** Moments (朋友圈): posts, the feed, albums, likes, comments, notices; `hint`/`notice` events. */
  readonly moments: MomentsApi;
  /** Favourites (收藏). */
  readonly favorites: FavoritesApi;
  /** Stickers (表情包): the user's own and the installed packs. */
  readonly stickers: StickersApi;
  /** The square (大论坛): boards, threads, replies, moderation; a `notice` event. */
  readonly square: SquareApi;
  /** Web Push: notifications while no tab is open. */
  readonly push: PushApi;
  /** Listen together (一起听): music rooms in chats, the server clock, `state`/`update` events. */
  readonly rooms: RoomsApi;
  /** Search: chat history, contacts (with pinyin) and files. */
  readonly search: SearchApi;
  /** Merge-forward (合并转发), delete for me, clear history, drafts. */
  readonly records: RecordsApi;
  /** Voice and video calls: signalling, TURN credentials, history; `incoming`/`signal` events. */
  readonly calls: CallsApi;
  /** Where chat state is kept. */
  readonly store: ChatStore;

  /** A typed client of any service here, with the token wrapper (for `@mychat/sdk/admin`). */
  readonly rpcFor: <S extends DescService>(service: S) => { rpc: Client<S>; authed: Authed };
  private readonly loop: ConnectionLoop;
  private readonly engine: SyncEngine;
  private readonly outbox: Outbox;
  private readonly acker: DeliveryAcker;
  private userId: string | undefined;
  private e2eeDevice?: { userId: string; deviceId: string };

  constructor(readonly options: MyChatClientOptions) {
    super();
    const baseUrl = options.baseUrl.replace(/\/$/, '');
    const transport = createConnectTransport({
      baseUrl,
      useBinaryFormat: options.binary ?? true,
      ...(options.fetch && { fetch: options.fetch }),
    });
    const device: DeviceInfo = {
      clientType: options.device?.clientType ?? 'web',
      deviceId: options.device?.deviceId ?? randomId(),
      name: options.device?.name ?? 'MyChat client',
    };
    this.auth = new AuthApi(
      createClient(auth.AuthService, transport),
      options.sessionStore ?? new MemorySessionStore(),
      device,
      (s, why) => this.sessionChanged(s, why),
    );
    const authed: Authed = (fn) => this.auth.authed(fn);
    this.rpcFor = (service) => ({ rpc: createClient(service, transport), authed });
    const messageRpc = createClient(message.MessageService, transport);
    const contactsRpc = createClient(contacts.ContactsService, transport);
    this.store = options.chatStore ?? new MemoryChatStore();
    // Sync and history go on the socket once it is authenticated (this.loop is set below).
    const viaSocket = socketFirstBackend(messageRpc, authed, () => this.loop.authenticated);
    // Pages carry only the wrapped keys of this client's encrypted-chat device, once it is known.
    const backend: ChatBackend = {
      ...viaSocket,
      history: (req) => {
        const d = this.e2eeDevice;
        const mine = d && d.userId === this.userId;
        return viaSocket.history(mine ? { ...req, e2eeDeviceId: d.deviceId } : req);
      },
    };
    const ackTimeoutMs = options.ackTimeoutMs ?? 10_000;

    this.engine = new SyncEngine(
      backend,
      this.store,
      {
        messages: (id, msgs, meta) => this.received(id, msgs, meta),
        updated: (_id, msgs) => msgs.forEach((m) => this.emit('messageUpdated', m)),
        conversation: (c) => this.emit('conversation', c),
        sendStates: (events) => events.forEach((e) => this.emit('sendState', e)),
      },
      () => this.userId,
    );
    this.loop = new ConnectionLoop(
      {
        url: `${baseUrl.replace(/^http/, 'ws')}/ws`,
        WebSocket: () => loadWebSocket(options.WebSocket),
        ...(options.reconnect && { backoff: options.reconnect }),
      },
      {
        token: async (refresh) =>
          refresh ? (await this.auth.refresh()).accessToken : this.auth.accessToken(),
        synced: async () => {
          await this.engine.catchUp();
          void this.outbox.resume();
          void this.rooms.resync();
        },
        push: (f) => this.pushed(f.body),
        state: (s, reason) => this.emit('state', s, reason),
        kicked: (reason) => this.emit('kicked', reason),
      },
    );
    this.outbox = new Outbox(
      this.store,
      createSendLink({ loop: this.loop, rpc: messageRpc, authed, ackTimeoutMs }),
      {
        sent: (m) => this.engine.push(m, 'sent'),
        state: (e) => this.emit('sendState', e),
      },
    );
    this.messages = new MessagesApi({
      store: this.store,
      engine: this.engine,
      outbox: this.outbox,
      backend,
      rpc: messageRpc,
      authed,
      live: () => this.loop.live,
      requestTimeoutMs: ackTimeoutMs,
    });
    this.acker = new DeliveryAcker((id, seq) => this.messages.ackDelivered(id, seq));
    this.records = new RecordsApi({
      store: this.store,
      engine: this.engine,
      rpc: messageRpc,
      authed,
      messages: this.messages,
    });
    this.contacts = new ContactsApi(contactsRpc, authed);
    this.groups = new GroupsApi(contactsRpc, authed);
    this.drive = new DriveApi(createClient(media.MediaService, transport), authed, messageRpc);
    this.moments = new MomentsApi(createClient(moments.MomentsService, transport), authed, baseUrl);
    this.favorites = new FavoritesApi(createClient(favorites.FavoritesService, transport), authed, baseUrl);
    this.stickers = new StickersApi(
      createClient(stickers.StickersService, transport),
      authed,
      baseUrl,
      this.messages,
    );
    this.square = new SquareApi(transport, authed, baseUrl);
    this.push = new PushApi(createClient(push.PushService, transport), authed);
    this.rooms = new RoomsApi(transport, authed, () => this.loop.live, options.clock);
    this.search = new SearchApi(createClient(search.SearchService, transport), authed);
    let sessionId: string | undefined;
    this.on('session', (s) => (sessionId = s?.sessionId));
    void this.auth.session().then((s) => (sessionId ??= s?.sessionId));
    this.calls = new CallsApi(
      createClient(calls.CallsService, transport),
      authed,
      () => this.loop.authenticated,
      () => sessionId,
      () => this.userId,
    );
    this.media = new MediaApi({
      baseUrl,
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      token: () => this.auth.accessToken(),
      rpc: createClient(media.MediaService, transport),
      attachmentUrl: (req, h) => messageRpc.getAttachmentUrl(req, h),
      authed,
      uploads: options.uploadStore ?? new MemoryUploadStore(),
      userId: async () => {
        const s = await this.auth.session();
        if (!s) throw new MyChatError('not signed in', 'UNAUTHENTICATED');
        return s.userId;
      },
      options: options.media ?? {},
    });
  }

  /** Where the connection/sync state machine is now. */
  get state(): ConnectionState {
    return this.loop.state;
  }

  /**
   * Opens the real-time connection and keeps it open (reconnecting as needed) until close().
   * Resolves the first time the client is live (authenticated and caught up); rejects with
   * MyChatError when it stops first (not signed in, kicked, session ended).
   */
  async connect(): Promise<void> {
    const s = await this.auth.session();
    if (!s) throw new MyChatError('not signed in', 'UNAUTHENTICATED');
    await this.adoptUser(s.userId);
    if (this.loop.state === 'live') return;
    const done = new Promise<void>((resolve, reject) => {
      const off = this.on('state', (state, reason) => {
        if (state === 'live') resolve();
        else if (state === 'stopped') reject(new MyChatError(`stopped: ${reason}`, 'STOPPED'));
        else return;
        off();
      });
    });
    this.loop.start();
    return done;
  }

  /** Closes the connection and stops reconnecting. Unsent messages stay in the outbox for the next connect(). */
  async close(): Promise<void> {
    this.acker.flush();
    this.loop.stop('close()');
  }

  /**
   * Which of the signed-in user's encrypted-chat devices reads on this client (`@mychat/sdk/e2ee`
   * sets it once the device's keys are loaded; undefined: none). History pages then carry, in
   * each encrypted message, only the wrapped keys that device can use (its own and the backup
   * key's) instead of one per device of both people. Ignored once another user signs in.
   */
  useE2eeDevice(device: { userId: string; deviceId: string } | undefined): void {
    this.e2eeDevice = device;
  }

  private sessionChanged(s: StoredSession | undefined, why: 'login' | 'refresh' | 'logout' | 'ended') {
    if (!s) {
      this.loop.stop(why === 'logout' ? 'signed out' : 'session ended');
      this.acker.cancel();
    } else this.userId = s.userId;
    this.emit('session', s, why);
  }

  /** One store holds one account's data: start afresh when someone else signs in. */
  private async adoptUser(userId: string) {
    this.userId = userId;
    const state = await this.store.getState();
    if (state.userId === userId) return;
    if (state.userId !== undefined) await this.store.clear();
    await this.store.setState({ userId, pts: 0 });
  }

  private received(conversationId: string, msgs: ChatMessage[], meta: MessageMeta) {
    let top = 0;
    for (const m of msgs) {
      this.emit('message', m, meta);
      if (m.senderId !== this.userId) top = m.seq;
    }
    if (top && meta.source !== 'sent' && this.options.autoMarkDelivered !== false)
      this.acker.note(conversationId, top);
  }

  private pushed(body: gateway.ServerFrame['body']) {
    const ignore = () => undefined; // a failed pull is retried by the next push or reconnect
    switch (body.case) {
      case 'message':
        return void this.engine.push(toMessage(body.value)).catch(ignore);
      case 'receipt':
        this.emit('receipt', toReceipt(body.value));
        return void this.engine.receipt(toReceipt(body.value)).catch(ignore);
      case 'conversation':
        if (!body.value.conversation) return;
        return void this.engine
          .conversationChanged(toConversation(body.value.conversation), body.value.pts)
          .catch(ignore);
      case 'presence':
        return this.emit('presence', toPresence(body.value));
      case 'typing':
        return this.emit('typing', toTyping(body.value));
      case 'contact':
        return this.emit('contact', toContactEvent(body.value));
      case 'momentHint':
      case 'momentNotice':
        return this.moments.pushed(body);
      case 'favoritesChanged':
        // One frame for both lists: `stickers` says which changed.
        return body.value.stickers ? this.stickers.pushed() : this.favorites.pushed(body.value);
      case 'roomState':
      case 'roomUpdate':
      case 'roomListen':
        return this.rooms.pushed(body);
      case 'callEvent':
      case 'callSignal':
        return this.calls.pushed(body);
      case 'squareNotice':
        return this.square.pushed(body.value);
      case 'systemNotice':
        return this.emit('systemNotice', { ...body.value, createdAt: body.value.createdAtMs });
    }
  }
}
