import type { gateway, media } from '@mychat/protocol';
import type { Logger } from 'pino';
import type { Bus } from '../../adapters/bus/bus.js';
import type { Kv } from '../../adapters/kv/kv.js';
import type { Clock } from '../../kernel/clock.js';
import { AppError, ErrorCode } from '../../kernel/errors.js';
import { parseId, type IdGenerator } from '../../kernel/ids.js';
import { pushToUsers } from '../../contracts/push-envelope.js';
import type { MessageStore } from './store/message-store.js';
import type { CachedPreview } from './link-preview/link-preview.repository.js';
import type { ConversationRow, MemberRow, MessageRow } from './message.tables.js';
import type { sendBlock } from './message.views.js';
import type { MessageWriter } from './message.writer.js';

export interface MessageRules {
  maxTextBytes: number;
  recallWindowSeconds: number;
  /** How long a sender may edit a text message, seconds; 0: editing is off (default a day). */
  editWindowSeconds?: number;
  sendRatePerSecond: number;
  sendBurst: number;
  /**
   * Groups up to this many members get `receipt` pushes when someone reads; larger ones
   * only answer GetReadReceipts (every read would otherwise push to most of the group).
   */
  groupReceiptPushMaxMembers?: number;
}

/**
 * What the parts of the public MessageService share: sending (message.send.ts), recall
 * (message.recall.ts), cursors and receipts (message.cursors.ts), and conversations, history
 * and settings (message.conversations.ts). The delivery contract lives in the first: a
 * message gets its seq in the same transaction that stores it, the sender's ack follows the
 * commit, and push to members is a best-effort hint after it; clients repair anything
 * missed through Sync.
 */
export interface MessageServiceDeps {
  store: MessageStore;
  /** The group-commit writer: new messages and delivered cursors (one per process). */
  writer: MessageWriter;
  bus: Bus;
  kv: Kv;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
  rules: MessageRules;
  onSent?: (m: MessageRow, recipients: number) => void;
  /** Link previews: attached to history pages (link-preview/link-preview.service.ts). */
  previews?: { forPage(convId: string, rows: readonly MessageRow[]): Promise<Map<number, CachedPreview>> };
  /**
   * Checks the files of a media message with the media service (they exist, are ready, are
   * the sender's or forwarded from a message the sender can see) and lets the members of
   * the conversation download them. Returns the service's description of each file.
   */
  attachMedia?: (req: {
    senderId: string;
    conversationId: string;
    clientMsgId: string;
    mediaIds: string[];
    kind: number;
    /** Forwarding: the message the files come from, checked to be one the sender sees. */
    via?: { conversationId: string; senderId: string; clientMsgId: string };
  }) => Promise<media.Media[]>;
}

/** The conversation and the caller's member row; NOT_FOUND for strangers (no existence leak). */
export async function membershipOf(
  store: MessageStore,
  convId: string,
  userId: string,
): Promise<{ conv: ConversationRow; me: MemberRow }> {
  parseId(convId, 'conversationId');
  const found = await store.membership(convId, userId);
  if (!found) throw new AppError(ErrorCode.NOT_FOUND, 'no such conversation');
  return found;
}

export function blockError(block: ReturnType<typeof sendBlock>): AppError {
  switch (block) {
    case 'blocked':
      return new AppError(ErrorCode.BLOCKED, 'you cannot message this person');
    case 'not_friends':
      return new AppError(ErrorCode.NOT_FRIENDS, 'you can message only your friends');
    case 'muted':
      return new AppError(ErrorCode.MUTED, 'you are muted in this group');
    default:
      return new AppError(ErrorCode.NOT_A_MEMBER, 'you are no longer a member of this group');
  }
}

/**
 * Pushes `f` to the conversation's active members (`known` when the caller has them);
 * returns them, or undefined when the push failed: push is a hint, the message is stored
 * and acknowledged, and clients repair through sync.
 */
export async function fanOut(
  d: Pick<MessageServiceDeps, 'store' | 'bus' | 'logger'>,
  convId: string,
  f: gateway.ServerFrame,
  exceptSession: string,
  counted?: (n: number) => void,
  known?: string[],
): Promise<string[] | undefined> {
  try {
    const members = known ?? (await d.store.activeMemberIds(convId));
    await pushToUsers(d.bus, members, f, exceptSession);
    counted?.(members.length);
    return members;
  } catch (err) {
    d.logger.warn({ err, conversation_id: convId }, 'push failed');
    return undefined;
  }
}
