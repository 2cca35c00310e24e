import { create } from '@bufbuild/protobuf';
import { timestampMs, type Timestamp } from '@bufbuild/protobuf/wkt';
import { message } from '@mychat/protocol';
import type {
  ChatMessage,
  ContactEvent,
  Conversation,
  LinkPreview,
  MediaRef,
  MessageContent,
  PresenceEvent,
  ReceiptEvent,
  TypingEvent,
} from './types.js';
import type { gateway } from '@mychat/protocol';

/** Epoch ms of a protobuf timestamp (0 when unset). */
export const ms = (t: Timestamp | undefined): number => (t ? timestampMs(t) : 0);

const media = (m: message.MediaRef | undefined): MediaRef | undefined =>
  m && {
    mediaId: m.mediaId,
    mime: m.mime,
    size: m.size,
    width: m.width,
    height: m.height,
    placeholder: m.placeholder,
  };

/** A file reference as the SDK shows it (an empty one when unset). */
export const toMediaRef = (m: message.MediaRef | undefined): MediaRef =>
  media(m) ?? { mediaId: '', mime: '', size: '0', width: 0, height: 0, placeholder: '' };

const CONVERSATION_TYPES: Record<number, Conversation['type']> = {
  [message.ConversationType.GROUP]: 'group',
  [message.ConversationType.SELF]: 'self',
  [message.ConversationType.ENCRYPTED]: 'encrypted',
};

/**
 * An encrypted message that came without its sealed bytes (GetHistoryRequest.e2ee_kept): this
 * device kept its opened body, and opens it from that (`@mychat/sdk/e2ee`'s `history`).
 */
export const isElided = (m: ChatMessage) =>
  m.content.type === 'encrypted' && m.content.sealed.ciphertext.length === 0;

export function toContent(c: message.MessageContent | undefined): MessageContent {
  const b = c?.body;
  switch (b?.case) {
    case 'text':
      return { type: 'text', text: b.value.text };
    case 'image':
      return { type: 'image', images: b.value.images.map((i) => media(i)!) };
    case 'voice':
      return {
        type: 'voice',
        audio: media(b.value.audio),
        durationMs: b.value.durationMs,
        waveform: b.value.waveform,
      };
    case 'video':
      return {
        type: 'video',
        video: media(b.value.video),
        poster: media(b.value.poster),
        durationMs: b.value.durationMs,
      };
    case 'file':
      return { type: 'file', file: media(b.value.file), name: b.value.name };
    case 'recall':
      return { type: 'recall', seq: b.value.seq, byUserId: b.value.byUserId };
    case 'system':
      return { type: 'system', kind: b.value.kind, args: { ...b.value.args } };
    case 'reaction':
      return {
        type: 'reaction',
        seq: b.value.seq,
        emoji: b.value.emoji,
        remove: b.value.remove,
        counts: b.value.counts.map((c) => ({ emoji: c.emoji, count: c.count, mine: false })),
      };
    case 'edit':
      return { type: 'edit', seq: b.value.seq, text: b.value.text };
    case 'pin':
      return { type: 'pin', seq: b.value.seq, unpin: b.value.unpin };
    case 'linkPreview':
      return {
        type: 'linkPreview',
        seq: b.value.seq,
        ...(b.value.preview && { preview: toLinkPreview(b.value.preview) }),
      };
    case 'chatRecord':
      return {
        type: 'chatRecord',
        title: b.value.title,
        sourceType: CONVERSATION_TYPES[b.value.sourceType] ?? 'direct',
        items: b.value.items.map((i) => ({
          senderId: i.senderId,
          createdAt: ms(i.createdAt),
          content: toContent(i.content),
        })),
      };
    case 'room':
      return { type: 'room', roomId: b.value.roomId, title: b.value.title };
    case 'sticker':
      return { type: 'sticker', image: media(b.value.image), packId: b.value.packId, emoji: b.value.emoji };
    case 'encrypted': {
      const e = b.value;
      return {
        type: 'encrypted',
        // Copies: decoded bytes are views of the whole response, which a store's structured
        // clone (MemoryChatStore, IndexedDB) would otherwise copy whole for each field.
        sealed: {
          version: e.version,
          ciphertext: e.ciphertext.slice(),
          nonce: e.nonce.slice(),
          senderDeviceId: e.senderDeviceId,
          ephemeralKey: e.ephemeralKey.slice(),
          keys: e.keys.map((k) => ({ userId: k.userId, deviceId: k.deviceId, wrapped: k.wrapped.slice() })),
          files: e.files.map((f) => media(f)!),
        },
      };
    }
    case 'call':
      return {
        type: 'call',
        callId: b.value.callId,
        media: b.value.media === 'video' ? 'video' : 'voice',
        outcome: b.value.outcome,
        durationMs: Number(b.value.durationMs),
        joinedUserIds: [...b.value.joinedUserIds],
      };
    default:
      return { type: 'empty' };
  }
}

const ref = (m: MediaRef | undefined) => m && { mediaId: m.mediaId };

/**
 * The wire form of content the SDK sends. Media references carry only the file's id: the
 * server fills in mime, size, dimensions, duration and waveform from its own records.
 */
export function fromContent(c: MessageContent): message.MessageContent {
  const body = ((): message.MessageContent['body'] => {
    switch (c.type) {
      case 'text':
        return { case: 'text', value: create(message.TextContentSchema, { text: c.text }) };
      case 'image':
        return {
          case: 'image',
          value: create(message.ImageContentSchema, { images: c.images.map((i) => ref(i)!) }),
        };
      case 'voice':
        return { case: 'voice', value: create(message.VoiceContentSchema, { audio: ref(c.audio) }) };
      case 'video':
        return { case: 'video', value: create(message.VideoContentSchema, { video: ref(c.video) }) };
      case 'file':
        return {
          case: 'file',
          value: create(message.FileContentSchema, { file: ref(c.file), name: c.name }),
        };
      case 'sticker':
        return {
          case: 'sticker',
          value: create(message.StickerContentSchema, {
            image: ref(c.image),
            packId: c.packId,
            emoji: c.emoji,
          }),
        };
      case 'encrypted':
        return {
          case: 'encrypted',
          value: create(message.EncryptedContentSchema, {
            ...c.sealed,
            files: c.sealed.files.map((f) => ref(f)!),
          }),
        };
      default:
        return { case: undefined };
    }
  })();
  return create(message.MessageContentSchema, { body });
}

export function toMessage(m: message.Message): ChatMessage {
  return {
    conversationId: m.conversationId,
    seq: m.seq,
    id: m.id,
    senderId: m.senderId,
    clientMsgId: m.clientMsgId,
    content: m.recalled || m.hidden ? { type: 'empty' } : toContent(m.content),
    replyToSeq: m.replyToSeq,
    mentionUserIds: [...m.mentionUserIds],
    mentionAll: m.mentionAll,
    createdAt: ms(m.createdAt),
    recalled: m.recalled,
    ...(m.reactions.length && {
      reactions: m.reactions.map((r) => ({ emoji: r.emoji, count: r.count, mine: r.mine })),
    }),
    ...(m.editedAt && { editedAt: ms(m.editedAt) }),
    ...(m.hidden && { hidden: true }),
    ...(m.linkPreview && !m.recalled && !m.hidden && { linkPreview: toLinkPreview(m.linkPreview) }),
  };
}

function toLinkPreview(p: message.LinkPreview): LinkPreview {
  return {
    url: p.url,
    title: p.title,
    description: p.description,
    siteName: p.siteName,
    ...(p.image.length > 0 && { image: p.image }),
  };
}

export function toConversation(c: message.Conversation): Conversation {
  return {
    id: c.id,
    type: CONVERSATION_TYPES[c.type] ?? 'direct',
    peerId: c.peerId,
    name: c.name,
    lastSeq: c.lastSeq,
    readSeq: c.readSeq,
    deliveredSeq: c.deliveredSeq,
    unreadCount: c.unreadCount,
    muted: c.muted,
    pinned: c.pinned,
    ...(c.lastMessage && { lastMessage: toMessage(c.lastMessage) }),
    peerDeliveredSeq: c.peerDeliveredSeq,
    peerReadSeq: c.peerReadSeq,
    canSend: c.canSend,
    firstSeq: c.firstSeq || 1,
    pts: c.pts,
    left: c.left,
    memberCount: c.memberCount,
    pinnedSeqs: [...c.pinnedSeqs],
    clearedSeq: c.clearedSeq,
    hiddenSeqs: [...c.hiddenSeqs],
    ...(c.draft && { draft: { text: c.draft.text, updatedAt: ms(c.draft.updatedAt) } }),
  };
}

export const toReceipt = (r: message.ReceiptEvent): ReceiptEvent => ({
  conversationId: r.conversationId,
  userId: r.userId,
  deliveredSeq: r.deliveredSeq,
  readSeq: r.readSeq,
});

export const toTyping = (t: message.TypingEvent): TypingEvent => ({
  conversationId: t.conversationId,
  userId: t.userId,
});

export const toPresence = (p: gateway.PresenceEvent): PresenceEvent => ({
  userId: p.userId,
  online: p.online,
  lastSeenMs: p.lastSeenMs,
});

export const toContactEvent = (c: gateway.ContactEvent): ContactEvent => ({
  kind: c.kind,
  userId: c.userId,
  groupId: c.groupId,
  requestId: c.requestId,
});
