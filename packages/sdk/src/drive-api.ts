import type { Client } from '@connectrpc/connect';
import { media, type message } from '@mychat/protocol';
import type { Authed } from './chat-backend.js';
import { MyChatError } from './errors.js';
import { ms } from './mappers.js';

/** The stored file a drive entry points at. */
export interface DriveFile {
  mediaId: string;
  kind: 'image' | 'voice' | 'video' | 'file';
  /** Decided by the server from the bytes. */
  mime: string;
  /** Bytes. */
  size: number;
  width: number;
  height: number;
  durationMs: number;
  /** A tiny inline preview (data: URL) for images and videos, else "". */
  placeholder: string;
  hasThumbnail: boolean;
  /** False while the server still processes it (or when processing failed). */
  ready: boolean;
}

/** A folder or a file in "My files". */
export interface DriveEntry {
  id: string;
  /** "" for the root. */
  parentId: string;
  name: string;
  isFolder: boolean;
  /** Files only. */
  file?: DriveFile;
  /** Epoch ms. */
  createdAt: number;
  updatedAt: number;
}

export interface DriveListing {
  /** Folders first, then by name. */
  entries: DriveEntry[];
  /** The folders from the root down to the listed one (empty for the root). */
  path: DriveEntry[];
}

export interface DriveQuota {
  /** Every file the account keeps: My files, and what it sent in chats and moments. */
  usedBytes: number;
  limitBytes: number;
  /** The part of usedBytes that My files lists; the rest was sent in chats and moments. */
  driveBytes: number;
}

const KINDS: Record<number, DriveFile['kind']> = {
  [media.MediaKind.IMAGE]: 'image',
  [media.MediaKind.VOICE]: 'voice',
  [media.MediaKind.VIDEO]: 'video',
};

/** A drive entry as the SDK gives it. @internal */
export function toEntry(e: media.DriveEntry | undefined): DriveEntry {
  if (!e) throw new MyChatError('the server sent no entry', 'UNKNOWN');
  const m = e.media;
  return {
    id: e.id,
    parentId: e.parentId === '0' ? '' : e.parentId,
    name: e.name,
    isFolder: e.isFolder,
    ...(m &&
      !e.isFolder && {
        file: {
          mediaId: m.id,
          kind: KINDS[m.kind] ?? 'file',
          mime: m.mime,
          size: Number(m.size),
          width: m.width,
          height: m.height,
          durationMs: m.durationMs,
          placeholder: m.placeholder,
          hasThumbnail: m.hasThumbnail,
          ready: m.status === media.MediaStatus.READY,
        },
      }),
    createdAt: ms(e.createdAt),
    updatedAt: ms(e.updatedAt),
  };
}

/**
 * "My files", the user's cloud drive: folders and files kept on the server. A folder id of ""
 * (or omitted) is the root. Names are 1-200 characters without / \ : * ? " < > | and not
 * starting with a dot; a bad one rejects with INVALID_ARGUMENT (field "name"), someone
 * else's entry with NOT_FOUND. Failures reject with MyChatError.
 */
export class DriveApi {
  /** @internal */
  constructor(
    private readonly rpc: Client<typeof media.MediaService>,
    private readonly authed: Authed,
    private readonly messages: Client<typeof message.MessageService>,
  ) {}

  /** One folder's entries (folders first, then by name) and the path to it from the root. */
  async list(folderId = ''): Promise<DriveListing> {
    const r = await this.authed((h) => this.rpc.listDrive({ folderId }, h));
    return { entries: r.entries.map(toEntry), path: r.path.map(toEntry) };
  }

  async createFolder(name: string, parentId = ''): Promise<DriveEntry> {
    return toEntry((await this.authed((h) => this.rpc.createFolder({ parentId, name }, h))).entry);
  }

  /**
   * Keeps a stored file the user owns (an upload, or a file they sent) in a folder; a taken
   * name gets " (2)", " (3)", ... The file is stored once however often it is kept.
   */
  async addToDrive(mediaId: string, folderId = '', name = ''): Promise<DriveEntry> {
    return toEntry((await this.authed((h) => this.rpc.addToDrive({ mediaId, folderId, name }, h))).entry);
  }

  /**
   * Keeps a file seen in a chat: `at` names the message that carries it. Someone else's file
   * becomes the user's own copy, counted against their quota. NOT_FOUND when the user cannot
   * see that message (or it does not carry the file).
   */
  async saveAttachment(
    at: { conversationId: string; seq: number },
    mediaId: string,
    folderId = '',
    name = '',
  ): Promise<DriveEntry> {
    const req = { conversationId: at.conversationId, seq: at.seq, mediaId, folderId, name };
    return toEntry((await this.authed((h) => this.messages.saveAttachment(req, h))).entry);
  }

  async rename(entryId: string, name: string): Promise<DriveEntry> {
    return toEntry((await this.authed((h) => this.rpc.renameEntry({ entryId, name }, h))).entry);
  }

  /** Moves an entry into another folder ("" = the root); never a folder into itself. */
  async move(entryId: string, parentId: string): Promise<DriveEntry> {
    return toEntry((await this.authed((h) => this.rpc.moveEntry({ entryId, parentId }, h))).entry);
  }

  /** Deletes a file entry, or a folder with everything in it. */
  async delete(entryId: string): Promise<void> {
    await this.authed((h) => this.rpc.deleteEntry({ entryId }, h));
  }

  /** Bytes the user's files take, and the limit. */
  async quota(): Promise<DriveQuota> {
    return quotaOf(this.rpc, this.authed);
  }
}

/** The caller's usage and limit (drive.quota() and media.quota()). @internal */
export async function quotaOf(rpc: Client<typeof media.MediaService>, authed: Authed): Promise<DriveQuota> {
  const r = await authed((h) => rpc.getQuota({}, h));
  return {
    usedBytes: Number(r.usedBytes),
    limitBytes: Number(r.limitBytes),
    driveBytes: Number(r.driveBytes),
  };
}
