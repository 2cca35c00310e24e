import type { Client } from '@connectrpc/connect';
import type { message } from '@mychat/protocol';
import type { Authed, ChatBackend } from './chat-backend.js';
import type { ChatStore } from './chat-store.js';
import { MyChatError } from './errors.js';
import { isElided, toConversation, toMessage } from './mappers.js';
import { MessageOpsApi } from './message-ops-api.js';
import type { Outbox } from './outbox.js';
import type { SyncEngine } from './sync-engine.js';
import type { ChatMessage, Conversation, MediaRef, MessageContent, OutboxEntry, Sealed } from './types.js';
import type { WsConnection } from './ws-connection.js';

/** What MessagesApi works with (built by MyChatClient). @internal */
export interface MessagesContext {
  store: ChatStore;
  engine: SyncEngine;
  outbox: Outbox;
  backend: ChatBackend;
  rpc: Client<typeof message.MessageService>;
  authed: Authed;
  /** The socket while live. */
  live(): WsConnection | undefined;
  requestTimeoutMs: number;
}

export interface SendOptions {
  /** Quote this message of the same conversation. */
  replyToSeq?: number;
  mentionUserIds?: string[];
  /** Groups: owners and admins only. */
  mentionAll?: boolean;
  /** Your own idempotency key (1-64 characters); a random one by default. Retries reuse it. */
  clientMsgId?: string;
}

export interface ReadReceipts {
  readCount: number;
  deliveredCount: number;
  /** Members other than the sender. */
  memberCount: number;
  /** Who read it (members who hide their read receipts are neither counted nor named). */
  readerIds: string[];
}

const TYPING_EVERY_MS = 3_000;

/** A reference to an uploaded file by id; the server fills in the rest. */
const refOf = (m: string | { id: string }): MediaRef => ({
  mediaId: typeof m === 'string' ? m : m.id,
  mime: '',
  size: '0',
  width: 0,
  height: 0,
  placeholder: '',
});

/** Conversations and messages: sending, history, receipts, settings; reactions, edits and pins. */
export class MessagesApi extends MessageOpsApi {
  private readonly typingSent = new Map<string, number>();

  /** @internal */
  constructor(private readonly ctx: MessagesContext) {
    super(ctx);
  }

  /**
   * Sends a text message. Emits 'sendState' pending, then sent (or failed); resolves with the
   * stored message (with its seq) once the server has it durably. A lost connection or a
   * missing ack is retried with the same clientMsgId (never a duplicate); RATE_LIMITED waits
   * as told. Rejects with MyChatError for permanent refusals: NOT_FRIENDS, BLOCKED,
   * NOT_A_MEMBER, MUTED, MESSAGE_TOO_LONG, ...
   */
  sendText(conversationId: string, text: string, options: SendOptions = {}): Promise<ChatMessage> {
    return this.sendContent(conversationId, { type: 'text', text }, options);
  }

  /**
   * Sends 1-9 uploaded images as one message (a grid). Takes media ids from `client.media.upload`
   * (or Media objects). Same outbox, retries and send states as sendText; the server checks
   * every file is ready, an image, and yours (or one you can see); otherwise MEDIA_NOT_READY,
   * INVALID_ARGUMENT, NOT_FOUND or PERMISSION_DENIED.
   */
  sendImages(
    conversationId: string,
    media: readonly (string | { id: string })[],
    options: SendOptions = {},
  ): Promise<ChatMessage> {
    if (media.length < 1 || media.length > 9)
      return Promise.reject(
        new MyChatError('an image message carries 1 to 9 images', 'INVALID_ARGUMENT', 'images'),
      );
    return this.sendContent(conversationId, { type: 'image', images: media.map(refOf) }, options);
  }

  /** Sends an uploaded voice clip (kind 'voice'); the server adds its duration and waveform. */
  sendVoice(
    conversationId: string,
    media: string | { id: string },
    options: SendOptions = {},
  ): Promise<ChatMessage> {
    return this.sendContent(
      conversationId,
      { type: 'voice', audio: refOf(media), durationMs: 0, waveform: [] },
      options,
    );
  }

  /** Sends an uploaded video (kind 'video', ready: transcoding done); the server adds its poster and duration. */
  sendVideo(
    conversationId: string,
    media: string | { id: string },
    options: SendOptions = {},
  ): Promise<ChatMessage> {
    return this.sendContent(conversationId, { type: 'video', video: refOf(media), durationMs: 0 }, options);
  }

  /** Sends any uploaded file as a download card, under `name` (default: the Media's name). */
  sendFile(
    conversationId: string,
    media: string | { id: string; name?: string },
    options: SendOptions & { name?: string } = {},
  ): Promise<ChatMessage> {
    const name = options.name ?? (typeof media === 'string' ? '' : (media.name ?? ''));
    return this.sendContent(conversationId, { type: 'file', file: refOf(media), name }, options);
  }

  /**
   * Sends an encrypted message made by `@mychat/sdk/e2ee` (its files already uploaded). Same
   * outbox, retries and send states as sendText; only an encrypted chat accepts it.
   */
  sendSealed(conversationId: string, sealed: Sealed, options: SendOptions = {}): Promise<ChatMessage> {
    return this.sendContent(conversationId, { type: 'encrypted', sealed }, options);
  }

  /**
   * Sends a copy of a message to another conversation. Files are not uploaded again: the new
   * message names the same stored files and the message they come from (the server checks
   * the sender can see that message and that it carries them). Text,
   * image, voice, video, file and sticker messages can be forwarded; others are INVALID_ARGUMENT.
   */
  forward(message: ChatMessage, toConversationId: string, options: SendOptions = {}): Promise<ChatMessage> {
    const c = message.content;
    if (message.recalled || !['text', 'image', 'voice', 'video', 'file', 'sticker'].includes(c.type))
      return Promise.reject(
        new MyChatError('this message cannot be forwarded', 'INVALID_ARGUMENT', 'message'),
      );
    const from = c.type === 'text' ? undefined : { conversationId: message.conversationId, seq: message.seq };
    return this.sendContent(toConversationId, forwardedContent(c), options, from);
  }

  /**
   * Sends content the user owns all files of, as a new message: a favourite's (its files are
   * the user's copies), forwarded from 收藏, or a sticker (`client.stickers.send`). Text, image,
   * voice, video, file and sticker.
   */
  sendCopy(conversationId: string, content: MessageContent, options: SendOptions = {}): Promise<ChatMessage> {
    if (!['text', 'image', 'voice', 'video', 'file', 'sticker'].includes(content.type))
      return Promise.reject(
        new MyChatError('this content cannot be sent again', 'INVALID_ARGUMENT', 'content'),
      );
    return this.sendContent(conversationId, forwardedContent(content), options);
  }

  private sendContent(
    conversationId: string,
    content: MessageContent,
    options: SendOptions,
    forwardedFrom?: OutboxEntry['forwardedFrom'],
  ): Promise<ChatMessage> {
    const entry: OutboxEntry = {
      clientMsgId: options.clientMsgId ?? newClientMsgId(),
      conversationId,
      content,
      replyToSeq: options.replyToSeq ?? 0,
      mentionUserIds: options.mentionUserIds ?? [],
      mentionAll: options.mentionAll ?? false,
      ...(forwardedFrom && { forwardedFrom }),
      createdAt: Date.now(),
    };
    return this.ctx.outbox.send(entry);
  }

  /**
   * The user's own "file transfer" conversation (type 'self'), created on first use: only
   * the user is in it, and every device of theirs receives what any of them sends there.
   */
  async fileTransferConversation(): Promise<Conversation> {
    const r = await this.ctx.authed((h) => this.ctx.rpc.getFileTransferConversation({}, h));
    if (!r.conversation) throw new MyChatError('the server sent no conversation', 'UNKNOWN');
    const c = toConversation(r.conversation);
    await this.ctx.engine.conversationFromServer(c);
    return (await this.ctx.store.getConversation(c.id)) ?? c;
  }

  /** Sends not yet acknowledged by the server (they are retried while the client runs). */
  pending(): Promise<OutboxEntry[]> {
    return this.ctx.store.listOutbox();
  }

  /**
   * A page of a conversation's messages, oldest first: the newest `limit` (default 50, at most
   * 200) before `beforeSeq` (default: from the newest). Served from the store when it holds that
   * range without holes, otherwise from the server (and kept in the store). `e2eeKept` (set by
   * `@mychat/sdk/e2ee`'s `history`): seqs whose opened bodies this device keeps; the server then
   * leaves out the sealed bytes of their encrypted messages (`isElided`), and they are stored so
   * (the bytes stay in the kept bodies). A stored message without them serves only a page asked
   * for with its seq in `e2eeKept`: for any other it is a hole, and the page comes from the server.
   */
  async history(
    conversationId: string,
    opts: { beforeSeq?: number; limit?: number; e2eeKept?: { fromSeq: number; toSeq: number } } = {},
  ): Promise<{ messages: ChatMessage[]; hasMore: boolean }> {
    const limit = Math.min(200, Math.max(1, opts.limit ?? 50));
    const { store } = this.ctx;
    const conv = await store.getConversation(conversationId);
    const max = await store.getMaxSeq(conversationId);
    // What I cleared is not mine any more (clearHistory); what I deleted comes back hidden.
    const first = Math.max(conv?.firstSeq ?? 1, (conv?.clearedSeq ?? 0) + 1);
    const hide = (page: { messages: ChatMessage[]; hasMore: boolean }) => {
      const hidden = new Set(conv?.hiddenSeqs ?? []);
      for (const m of page.messages)
        if (hidden.has(m.seq) && !m.hidden) Object.assign(m, { hidden: true, content: { type: 'empty' } });
      return page;
    };
    if (max !== undefined) {
      const top = opts.beforeSeq ? Math.min(opts.beforeSeq - 1, max) : max;
      const lo = Math.max(first, top - limit + 1);
      if (top < lo) return { messages: [], hasMore: false };
      const local = await store.getMessages(conversationId, { afterSeq: lo - 1, beforeSeq: top + 1, limit });
      const kept = (m: ChatMessage) =>
        !isElided(m) || (!!opts.e2eeKept && m.seq >= opts.e2eeKept.fromSeq && m.seq <= opts.e2eeKept.toSeq);
      if (local.length === top - lo + 1 && local.every(kept))
        return hide({ messages: local, hasMore: lo > first });
    }
    const { e2eeKept } = opts;
    const page = await this.ctx.backend.history({
      conversationId,
      beforeSeq: opts.beforeSeq ?? 0,
      limit,
      ...(e2eeKept && { e2eeKept }),
    });
    if (page.messages.length) await store.putMessages(conversationId, page.messages);
    return hide({ messages: page.messages.filter((m) => m.seq >= first), hasMore: page.hasMore });
  }

  /** The stored conversations: pinned first, then by latest message. */
  async conversations(): Promise<Conversation[]> {
    const list = await this.ctx.store.listConversations();
    const at = (c: Conversation) => c.lastMessage?.createdAt ?? 0;
    return list.sort((a, b) => Number(b.pinned) - Number(a.pinned) || at(b) - at(a) || b.lastSeq - a.lastSeq);
  }

  /** One conversation: from the store, else from the server. */
  async conversation(conversationId: string): Promise<Conversation> {
    const stored = await this.ctx.store.getConversation(conversationId);
    if (stored) return stored;
    const c = await this.ctx.backend.conversation(conversationId);
    await this.ctx.engine.conversationFromServer(c);
    return c;
  }

  /** Marks everything up to `seq` read (monotonic); resolves with the unread count left. */
  async markRead(conversationId: string, seq: number): Promise<number> {
    const r = await this.ctx.authed((h) => this.ctx.rpc.markRead({ conversationId, seq }, h));
    await this.ctx.engine.updateConversation(conversationId, (c) => {
      c.readSeq = Math.max(c.readSeq, seq);
      c.deliveredSeq = Math.max(c.deliveredSeq, seq);
      c.unreadCount = r.unreadCount;
    });
    return r.unreadCount;
  }

  /**
   * What the client does by itself for messages it receives: on a live socket the cursor
   * goes out unanswered (a lost one is superseded by the next), else as `markDelivered`.
   */
  async ackDelivered(conversationId: string, seq: number): Promise<void> {
    const conn = this.ctx.live();
    if (!conn?.notify({ case: 'delivered', value: { conversationId, seq } }))
      return this.markDelivered(conversationId, seq);
    await this.deliveredHere(conversationId, seq);
  }

  /** Marks everything up to `seq` delivered. The client does this by itself for messages it receives. */
  async markDelivered(conversationId: string, seq: number): Promise<void> {
    const conn = this.ctx.live();
    if (conn)
      await conn.request({ case: 'delivered', value: { conversationId, seq } }, this.ctx.requestTimeoutMs);
    else await this.ctx.authed((h) => this.ctx.rpc.markDelivered({ conversationId, seq }, h));
    await this.deliveredHere(conversationId, seq);
  }

  /** The stored conversation's own delivered cursor, forward only. */
  private async deliveredHere(conversationId: string, seq: number): Promise<void> {
    await this.ctx.engine.updateConversation(conversationId, (c) => {
      c.deliveredSeq = Math.max(c.deliveredSeq, seq);
    });
  }

  /**
   * Takes a message back (its sender within 2 minutes; group owners and admins any time).
   * Resolves with the RECALL message; the original becomes a tombstone in the store.
   */
  async recall(conversationId: string, seq: number): Promise<ChatMessage> {
    const r = await this.ctx.authed((h) => this.ctx.rpc.recallMessage({ conversationId, seq }, h));
    if (!r.message) throw new MyChatError('the server sent no message', 'UNKNOWN');
    const m = toMessage(r.message);
    await this.ctx.engine.push(m, 'sent');
    return m;
  }

  /** Tells the others "typing…"; at most once per 3 seconds per conversation (extra calls are dropped). */
  async typing(conversationId: string): Promise<void> {
    const now = Date.now();
    if (now - (this.typingSent.get(conversationId) ?? -Infinity) < TYPING_EVERY_MS) return;
    this.typingSent.set(conversationId, now);
    const conn = this.ctx.live();
    if (conn) await conn.request({ case: 'typing', value: { conversationId } }, this.ctx.requestTimeoutMs);
    else await this.ctx.authed((h) => this.ctx.rpc.sendTyping({ conversationId }, h));
  }

  /** Who has read a message (groups: counts, and readers who allow it). */
  async readReceipts(conversationId: string, seq: number): Promise<ReadReceipts> {
    const r = await this.ctx.authed((h) => this.ctx.rpc.getReadReceipts({ conversationId, seq }, h));
    return {
      readCount: r.readCount,
      deliveredCount: r.deliveredCount,
      memberCount: r.memberCount,
      readerIds: [...r.readerIds],
    };
  }

  /** Mutes or pins a conversation for this user; resolves with the updated conversation. */
  async setConversationSettings(
    conversationId: string,
    settings: { muted?: boolean; pinned?: boolean },
  ): Promise<Conversation> {
    const r = await this.ctx.authed((h) =>
      this.ctx.rpc.updateConversationSettings({ conversationId, ...settings }, h),
    );
    if (!r.conversation) throw new MyChatError('the server sent no conversation', 'UNKNOWN');
    const c = toConversation(r.conversation);
    await this.ctx.engine.conversationFromServer(c);
    return (await this.ctx.store.getConversation(conversationId)) ?? c;
  }

  /** The user's privacy settings. */
  async privacy(): Promise<{ hideReadReceipts: boolean }> {
    const r = await this.ctx.authed((h) => this.ctx.rpc.getPrivacy({}, h));
    return { hideReadReceipts: r.hideReadReceipts };
  }

  /** hideReadReceipts: others see 0 as your read cursor (and you theirs, as on WeChat). */
  async setPrivacy(settings: { hideReadReceipts: boolean }): Promise<void> {
    await this.ctx.authed((h) => this.ctx.rpc.setPrivacy(settings, h));
  }
}

/**
 * The content of a forwarded message: the same text or the same stored files, by id (the
 * server fills in the rest). Built afresh, so an app's reactive proxy of the message is fine.
 */
function forwardedContent(c: MessageContent): MessageContent {
  const ref = (m: MediaRef | undefined) => m && refOf(m.mediaId);
  switch (c.type) {
    case 'text':
      return { type: 'text', text: c.text };
    case 'image':
      return { type: 'image', images: c.images.map((i) => refOf(i.mediaId)) };
    case 'voice':
      return { type: 'voice', audio: ref(c.audio), durationMs: c.durationMs, waveform: [...c.waveform] };
    case 'video':
      return { type: 'video', video: ref(c.video), durationMs: c.durationMs };
    case 'file':
      return { type: 'file', file: ref(c.file), name: c.name };
    case 'sticker':
      return { type: 'sticker', image: ref(c.image), packId: c.packId, emoji: c.emoji };
    default:
      return { type: 'empty' };
  }
}

/** A random idempotency key: 22 characters of base64url (128 bits). */
export function newClientMsgId(): string {
  const b = new Uint8Array(16);
  globalThis.crypto.getRandomValues(b);
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
