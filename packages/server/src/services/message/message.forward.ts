import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { media, message as pb } from '@mychat/protocol';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import { parseId } from '../../kernel/ids.js';
import type { Caller } from '../../rpc/call-context.js';
import type { MessageServiceDeps } from './message.deps.js';
import { mediaIdsOf } from './message.media.js';
import type { MessageSender } from './message.send.js';
import type { MessageRow } from './message.tables.js';
import { decodeContent, encodeContent, firstReadable, messageView, visibleHead } from './message.views.js';
import { refuseInEncrypted } from './message.encrypted.js';

/** Most messages one merge-forward (or one HideMessages call) takes. */
export const MAX_RECORD_ITEMS = 100;
/** Most bytes the stored content of a chat record may have (a history page holds 256 KiB). */
export const MAX_RECORD_BYTES = 256 * 1024;
const MAX_TITLE = 128;
/** What a chat record may carry: what people wrote, not events. */
const FORWARDABLE = new Set<string | undefined>([
  'text',
  'image',
  'voice',
  'video',
  'file',
  'chatRecord',
  'sticker',
]);
/** AttachMedia takes at most this many files per call. */
const ATTACH_CHUNK = 9;

export interface ForwardInput {
  conversationId: string;
  clientMsgId: string;
  sourceConversationId: string;
  seqs: readonly number[];
  title: string;
}

/** Checks a merge-forward's count and title (the RPC edge). */
export function checkForward(seqs: readonly number[], title: string): void {
  if (seqs.length < 1) throw errors.invalidArgument('pick at least one message', 'seqs');
  if (seqs.length > MAX_RECORD_ITEMS)
    throw new AppError(ErrorCode.FORWARD_TOO_MANY, `at most ${MAX_RECORD_ITEMS} messages at once`, {
      field: 'seqs',
    });
  if (new Set(seqs).size !== seqs.length) throw errors.invalidArgument('a message appears twice', 'seqs');
  if ([...title].length > MAX_TITLE) throw errors.tooLong('title', MAX_TITLE);
}

/**
 * Merge-forward (合并转发): snapshots of messages the forwarder sees, stored as one
 * CHAT_RECORD message through the ordinary send path (seq, ack, push, idempotency). The
 * record message is granted every file of its snapshots (media's AttachMedia with the source
 * message as `via`), so GetAttachmentUrl on the record answers exactly its viewers.
 */
export class MessageForwarder {
  constructor(
    private readonly d: MessageServiceDeps,
    private readonly sender: MessageSender,
  ) {}

  async forward(caller: Caller, input: ForwardInput): Promise<{ message: pb.Message; duplicate: boolean }> {
    const { store } = this.d;
    checkForward(input.seqs, input.title);
    // A retry of a stored record is answered before its sources are read again (one of them
    // may have been recalled since; the record already holds its snapshot).
    const prior = await store.messageByClientId(caller.userId, input.clientMsgId);
    if (prior && prior.convId === input.conversationId && prior.type === pb.MessageType.CHAT_RECORD)
      return { message: messageView(prior), duplicate: true };
    const sources = await this.sources(caller.userId, input);
    const found = await store.membership(input.sourceConversationId, caller.userId);
    const content = create(pb.MessageContentSchema, {
      body: {
        case: 'chatRecord',
        value: {
          title: input.title.trim(),
          sourceType: found?.conv.type ?? 0,
          items: sources.map((r) => ({
            senderId: r.senderId,
            createdAt: timestampFromMs(r.createdAt),
            type: r.type,
            content: decodeContent(r.content),
          })),
        },
      },
    });
    if (Buffer.byteLength(encodeContent(content)) > MAX_RECORD_BYTES)
      throw new AppError(ErrorCode.RECORD_TOO_LARGE, 'these messages are too large to forward as one', {
        field: 'seqs',
      });
    return this.sender.send(caller, {
      conversationId: input.conversationId,
      clientMsgId: input.clientMsgId,
      content,
      replyToSeq: 0,
      mentionUserIds: [],
      mentionAll: false,
      attachFiles: (target) => this.grant(caller.userId, target, sources),
    });
  }

  /** The source messages, oldest first; every one must be a message the caller sees now. */
  private async sources(userId: string, input: ForwardInput): Promise<MessageRow[]> {
    const { store } = this.d;
    parseId(input.sourceConversationId, 'sourceConversationId');
    const refused = () => errors.permissionDenied('you can forward only messages you can see');
    const found = await store.membership(input.sourceConversationId, userId);
    if (!found) throw refused();
    // Its messages open only on the two people's devices: a record of them would be noise.
    refuseInEncrypted(found.conv, 'forwards');
    const lo = firstReadable(found.me);
    const hi = visibleHead(found.conv, found.me);
    const seqs = [...input.seqs].sort((a, b) => a - b);
    if (seqs[0]! < lo || seqs[seqs.length - 1]! > hi) throw refused();
    const hidden = await store.hiddenAmong(input.sourceConversationId, userId, seqs);
    const rows: MessageRow[] = [];
    for (const seq of seqs) {
      const row = hidden.has(seq) ? undefined : await store.message(input.sourceConversationId, seq);
      if (!row || row.recalledAt !== null) throw refused();
      if (!FORWARDABLE.has(decodeContent(row.content).body.case))
        throw errors.invalidArgument('only messages people wrote can be forwarded', 'seqs');
      rows.push(row);
    }
    return rows;
  }

  /** Grants the record message the files of its snapshots, each through its source message. */
  private async grant(
    userId: string,
    target: { conversationId: string; clientMsgId: string },
    sources: readonly MessageRow[],
  ): Promise<void> {
    const attach = this.d.attachMedia;
    for (const src of sources) {
      const ids = mediaIdsOf(decodeContent(src.content));
      if (!ids.length) continue;
      if (!attach) throw new AppError(ErrorCode.UNSUPPORTED_MESSAGE_TYPE, 'media messages are not available');
      for (let i = 0; i < ids.length; i += ATTACH_CHUNK)
        await attach({
          senderId: userId,
          conversationId: target.conversationId,
          clientMsgId: target.clientMsgId,
          mediaIds: ids.slice(i, i + ATTACH_CHUNK),
          // FILE takes a file of any kind: the snapshots mix images, voice, video and files.
          kind: media.MediaKind.FILE,
          via: { conversationId: src.convId, senderId: src.senderId, clientMsgId: src.clientMsgId },
        });
    }
  }
}
