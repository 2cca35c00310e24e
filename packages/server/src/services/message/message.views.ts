import { create, fromJsonString, toJsonString } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { message as pb } from '@mychat/protocol';
import {
  isOneToOne,
  ROLE_ADMIN,
  SEND_OK,
  type ConversationRow,
  type MemberRow,
  type MessageRow,
} from './message.tables.js';

/** Stored content (protobuf JSON) of a message. */
export const encodeContent = (c: pb.MessageContent) => toJsonString(pb.MessageContentSchema, c);

/** Stored plain text content, exactly as `encodeContent` writes it: the text is group 1. */
const PLAIN_TEXT = /^\{"text":\{"text":("(?:[^"\\]|\\.)*")\}\}$/;

/**
 * Stored content back as the wire message. Plain text, most of any history page, skips
 * protobuf-es's JSON reader (a tenth of the CPU of serving history): the same result, as a
 * test checks against `fromJsonString` for every kind of content.
 */
export function decodeContent(json: string, o: { sealedBytes?: boolean } = {}): pb.MessageContent {
  const plain = PLAIN_TEXT.exec(json);
  if (plain)
    return create(pb.MessageContentSchema, {
      body: { case: 'text', value: { text: JSON.parse(plain[1]!) as string } },
    });
  if (json.startsWith('{"encrypted":{')) {
    const sealed = decodeEncrypted(json, o.sealedBytes ?? true);
    if (sealed) return create(pb.MessageContentSchema, { body: { case: 'encrypted', value: sealed } });
  }
  return fromJsonString(pb.MessageContentSchema, json);
}

/**
 * Base64 with its padding, as protobuf JSON writes bytes. Node skips what is not base64: a
 * string of anything else decodes short, and is left to protobuf JSON.
 */
const bytesOf = (v: unknown): Uint8Array | undefined => {
  if (typeof v !== 'string' || v.length % 4 !== 0) return undefined;
  const b = Buffer.from(v, 'base64');
  const pad = v.endsWith('==') ? 2 : v.endsWith('=') ? 1 : 0;
  if (b.length !== (v.length / 4) * 3 - pad) return undefined;
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
};
const ENCRYPTED_FIELDS = new Set([
  'version',
  'ciphertext',
  'nonce',
  'senderDeviceId',
  'ephemeralKey',
  'keys',
]);
const WRAP_FIELDS = new Set(['userId', 'deviceId', 'wrapped']);
const only = (o: object, fields: ReadonlySet<string>) => Object.keys(o).every((k) => fields.has(k));
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Stored encrypted content, as `encodeContent` writes it, without protobuf-es's JSON reader (most
 * of an encrypted page's CPU: base64 of the ciphertext and of each wrapped key). Undefined for
 * anything else (files attached, another shape): the caller reads it with `fromJsonString`.
 * `sealedBytes` false (a page for a reader that keeps them, GetHistoryRequest.e2ee_kept): the
 * ciphertext, ephemeral key and wrapped keys are left out, not decoded.
 */
function decodeEncrypted(json: string, sealedBytes: boolean): pb.EncryptedContent | undefined {
  let top: unknown;
  try {
    top = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!isObject(top) || Object.keys(top).length !== 1) return undefined;
  const e = top.encrypted;
  if (!isObject(e) || !only(e, ENCRYPTED_FIELDS)) return undefined;
  const version = e.version ?? 0;
  const senderDeviceId = e.senderDeviceId ?? '';
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0 || version > 0xffffffff)
    return undefined;
  if (typeof senderDeviceId !== 'string') return undefined;
  const nonce = bytesOf(e.nonce ?? '');
  if (!nonce) return undefined;
  if (!sealedBytes) return create(pb.EncryptedContentSchema, { version, nonce, senderDeviceId });
  const [ciphertext, ephemeralKey] = [e.ciphertext ?? '', e.ephemeralKey ?? ''].map(bytesOf);
  if (!ciphertext || !ephemeralKey) return undefined;
  const list = e.keys ?? [];
  if (!Array.isArray(list)) return undefined;
  const keys: pb.WrappedKey[] = [];
  for (const k of list as unknown[]) {
    if (!isObject(k) || !only(k, WRAP_FIELDS)) return undefined;
    const [userId, deviceId, wrapped] = [k.userId ?? '', k.deviceId ?? '', bytesOf(k.wrapped ?? '')];
    if (typeof userId !== 'string' || typeof deviceId !== 'string' || !wrapped) return undefined;
    keys.push(create(pb.WrappedKeySchema, { userId, deviceId, wrapped }));
  }
  return create(pb.EncryptedContentSchema, {
    version,
    ciphertext,
    nonce,
    senderDeviceId,
    ephemeralKey,
    keys,
  });
}

/**
 * A stored row as the wire Message; a recalled message keeps its place but not its content.
 * `content` is the row's content when the caller still has it (a send), saving the parse;
 * `reactions` are the message's reactions as the viewer sees them (history pages).
 */
export function messageView(
  m: MessageRow,
  content?: pb.MessageContent,
  reactions?: readonly { emoji: string; count: number; mine: boolean }[],
): pb.Message {
  const recalled = m.recalledAt !== null;
  return create(pb.MessageSchema, {
    ...(reactions && !recalled && { reactions: reactions.map((r) => create(pb.ReactionCountSchema, r)) }),
    ...(m.editedAt !== undefined && !recalled && { editedAt: timestampFromMs(m.editedAt) }),
    conversationId: m.convId,
    seq: m.seq,
    id: m.id,
    senderId: m.senderId,
    clientMsgId: m.clientMsgId,
    type: m.type,
    content: recalled ? create(pb.MessageContentSchema, {}) : (content ?? decodeContent(m.content)),
    replyToSeq: m.replyToSeq,
    mentionUserIds: m.mentions,
    mentionAll: m.mentionAll,
    createdAt: timestampFromMs(m.createdAt),
    recalled,
  });
}

/** The highest seq a member may read: the conversation's head, or where they left. */
export const visibleHead = (conv: ConversationRow, me: MemberRow) =>
  me.leftSeq === null ? conv.lastSeq : Math.min(me.leftSeq, conv.lastSeq);

/** Whether a member may send now, and the stable reason when not. */
export function sendBlock(
  conv: ConversationRow,
  me: MemberRow,
  now: number,
): 'ok' | 'left' | 'not_friends' | 'blocked' | 'muted' {
  if (me.leftSeq !== null) return 'left';
  if (isOneToOne(conv.type))
    return me.sendState === SEND_OK ? 'ok' : me.sendState === 2 ? 'blocked' : 'not_friends';
  if (me.mutedUntil > now) return 'muted';
  if (conv.mutedAll && me.role < ROLE_ADMIN) return 'muted';
  return 'ok';
}

export interface ViewInput {
  conv: ConversationRow;
  me: MemberRow;
  now: number;
  lastMessage?: MessageRow;
  /** DIRECT: the other member, and whether they hide read receipts. */
  peer?: MemberRow;
  peerHidesReads?: boolean;
  memberCount: number;
  /** Silent messages (reactions, edits) among the unread ones: not counted. */
  silent?: number;
  /** The seqs of the pinned messages, newest pin first. */
  pinnedSeqs?: number[];
  /** The member's own: seqs deleted for them (above clearedSeq) and their draft. */
  hiddenSeqs?: number[];
  draft?: { text: string; updatedAt: number };
}

/** One user's view of a conversation. */
export function conversationView(v: ViewInput): pb.Conversation {
  const head = visibleHead(v.conv, v.me);
  const hidden = v.hiddenSeqs ?? [];
  const last = v.lastMessage;
  // The list shows no preview of a message the member deleted or cleared for themself.
  const showLast = last && last.seq <= head && last.seq > v.me.clearedSeq && !hidden.includes(last.seq);
  return create(pb.ConversationSchema, {
    id: v.conv.id,
    type: v.conv.type,
    peerId: v.peer?.userId ?? '',
    name: v.conv.name,
    lastSeq: head,
    readSeq: v.me.readSeq,
    deliveredSeq: v.me.deliveredSeq,
    unreadCount: Math.max(
      0,
      head - Math.max(v.me.readSeq, v.me.firstSeq - 1, v.me.clearedSeq) - (v.silent ?? 0),
    ),
    muted: v.me.muted,
    pinned: v.me.pinned,
    ...(showLast && { lastMessage: messageView(last) }),
    peerDeliveredSeq: v.peer?.deliveredSeq ?? 0,
    peerReadSeq: v.peer && !v.peerHidesReads ? v.peer.readSeq : 0,
    canSend: sendBlock(v.conv, v.me, v.now) === 'ok',
    firstSeq: v.me.firstSeq,
    pts: v.me.pts,
    left: v.me.leftSeq !== null,
    memberCount: v.memberCount,
    pinnedSeqs: (v.pinnedSeqs ?? []).filter((s) => s >= v.me.firstSeq && s <= head),
    clearedSeq: v.me.clearedSeq,
    hiddenSeqs: hidden,
    ...(v.draft && {
      draft: { text: v.draft.text, updatedAt: timestampFromMs(v.draft.updatedAt) },
    }),
  });
}

/** A message deleted for the caller: its place in the seq order, nothing of its content. */
export function hiddenView(m: pb.Message): pb.Message {
  m.hidden = true;
  m.content = create(pb.MessageContentSchema, {});
  m.reactions = [];
  m.mentionUserIds = [];
  m.replyToSeq = 0;
  return m;
}

/** The first seq a member reads: from when they joined, after what they cleared. */
export const firstReadable = (me: MemberRow) => Math.max(me.firstSeq, me.clearedSeq + 1);
