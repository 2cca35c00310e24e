import type { media } from '@mychat/protocol';
import { errors } from '../../kernel/errors.js';
import type { Caller } from '../../rpc/call-context.js';
import { mediaIdsOf } from './message.media.js';
import type { MessageStore } from './store/message-store.js';
import type { MessageRow } from './message.tables.js';
import { decodeContent, firstReadable, visibleHead } from './message.views.js';

/**
 * Who may see a message's files, decided here alone: the media service only signs URLs and
 * copies files for a message this class found the caller to see. Every refusal is the same
 * NOT_FOUND, so a caller cannot probe which seqs or files exist.
 */
export interface MessageAttachmentsDeps {
  store: MessageStore;
  /** A URL for a file of a message the user was found to see (the media service signs it). */
  signUrl?: (req: {
    mediaId: string;
    variant: number;
    download: boolean;
    conversationId: string;
    senderId: string;
    clientMsgId: string;
  }) => Promise<{ url: string; expiresAtMs: number }>;
  /** Keeps a file of a message the user was found to see in their drive (media copies it). */
  saveToDrive?: (req: {
    userId: string;
    mediaId: string;
    folderId: string;
    name: string;
    conversationId: string;
    senderId: string;
    clientMsgId: string;
  }) => Promise<media.DriveEntry | undefined>;
}

const NO_ATTACHMENT = () => errors.notFound('no such file in a message you can see');

/**
 * The message at `seq` if `userId` can read it (a member at that seq, not cleared or deleted
 * for them) and it is not recalled.
 */
export async function seenMessage(
  store: MessageStore,
  userId: string,
  convId: string,
  seq: number,
): Promise<MessageRow | undefined> {
  const found = await store.membership(convId, userId);
  if (!found || seq < firstReadable(found.me) || seq > visibleHead(found.conv, found.me)) return undefined;
  const row = await store.message(convId, seq);
  if (!row || row.recalledAt !== null) return undefined;
  return (await store.hiddenAmong(convId, userId, [seq])).size ? undefined : row;
}

export class MessageAttachments {
  constructor(private readonly d: MessageAttachmentsDeps) {}

  /**
   * Whether `userId` can see the message `senderId` stored as `clientMsgId` in `convId`: a
   * member who joined before it (and did not leave before it), and the message not
   * recalled. Served as CanSeeMessage to media services of the previous release only (this
   * release's media never asks: message decides, see attachmentUrl).
   */
  async canSee(userId: string, convId: string, senderId: string, clientMsgId: string): Promise<boolean> {
    const row = await this.d.store.messageByClientId(senderId, clientMsgId);
    if (!row || row.convId !== convId || row.recalledAt !== null) return false;
    const found = await this.d.store.membership(convId, userId);
    if (!found) return false;
    return row.seq >= found.me.firstSeq && row.seq <= visibleHead(found.conv, found.me);
  }

  /**
   * A download URL for a file the message at `seq` carries, if the caller sees that message.
   * Message is the one authority on this: media only signs. Every refusal is the same
   * NOT_FOUND, so a caller cannot probe which seqs or files exist.
   */
  async attachmentUrl(
    caller: Caller,
    req: { convId: string; seq: number; mediaId: string; variant: number; download: boolean },
  ): Promise<{ url: string; expiresAtMs: number }> {
    const row = await this.carrying(caller.userId, req.convId, req.seq, req.mediaId);
    if (!this.d.signUrl) throw NO_ATTACHMENT();
    return this.d.signUrl({
      mediaId: req.mediaId,
      variant: req.variant,
      download: req.download,
      conversationId: row.convId,
      senderId: row.senderId,
      clientMsgId: row.clientMsgId,
    });
  }

  /** Keeps a file of a message the caller sees in their drive, as their own copy. */
  async saveAttachment(
    caller: Caller,
    req: { convId: string; seq: number; mediaId: string; folderId: string; name: string },
  ): Promise<media.DriveEntry | undefined> {
    const row = await this.carrying(caller.userId, req.convId, req.seq, req.mediaId);
    if (!this.d.saveToDrive) throw NO_ATTACHMENT();
    return this.d.saveToDrive({
      userId: caller.userId,
      mediaId: req.mediaId,
      folderId: req.folderId,
      name: req.name,
      conversationId: row.convId,
      senderId: row.senderId,
      clientMsgId: row.clientMsgId,
    });
  }

  /** The message at `seq` if the user sees it and it carries the file; one NOT_FOUND otherwise. */
  private async carrying(userId: string, convId: string, seq: number, mediaId: string): Promise<MessageRow> {
    const row = await seenMessage(this.d.store, userId, convId, seq);
    if (!row || !mediaIdsOf(decodeContent(row.content)).includes(mediaId)) throw NO_ATTACHMENT();
    return row;
  }
}
