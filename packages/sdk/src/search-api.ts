import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { Client } from '@connectrpc/connect';
import { message, search } from '@mychat/protocol';
import type { Authed } from './chat-backend.js';
import { toFriend, toGroup, type Friend, type Group } from './contacts-types.js';
import { toEntry, type DriveEntry } from './drive-api.js';
import { ms, toMessage } from './mappers.js';
import type { ChatMessage } from './types.js';

/** A marked part of a snippet or name: [start, end) as JavaScript string indexes. */
export interface Highlight {
  start: number;
  end: number;
}

/** One message found. Open it with `messages.history(conversationId, ...)` around `seq`. */
export interface MessageHit {
  conversationId: string;
  seq: number;
  messageId: string;
  senderId: string;
  /** `text`, or `file` (found by its name). */
  type: 'text' | 'file';
  /** Epoch ms. */
  createdAt: number;
  /** The text around the first match, "…" where cut. */
  snippet: string;
  highlights: Highlight[];
}

/** How many messages of one conversation match ("3 条相关聊天记录"). */
export interface ConversationHits {
  conversationId: string;
  /** At most 99: counting stops there. */
  count: number;
  /** More than `count` match: show "99+". */
  capped?: boolean;
  /** The newest hit. */
  lastSeq: number;
  lastAt: number;
}

export interface MessageSearchResult {
  /** Newest first. */
  hits: MessageHit[];
  /** Pass as `pageToken` for the next page; absent when there is none. */
  nextPageToken?: string;
  /** First page only: every conversation with hits, newest hit first. */
  conversations: ConversationHits[];
}

export interface MessageSearchOptions {
  /** Only this conversation (in-chat search): hits by seq, newest first. */
  conversationId?: string;
  senderId?: string;
  type?: 'text' | 'file';
  /** Sent at or after (epoch ms or Date). */
  since?: number | Date;
  /** Sent before. */
  until?: number | Date;
  /** 1-50, default 20. */
  limit?: number;
  pageToken?: string;
}

export interface FriendHit {
  friend: Friend;
  field: 'remark' | 'nickname';
  byPinyin: boolean;
}

export interface GroupHit {
  group: Group;
  field: 'name' | 'member';
  byPinyin: boolean;
  /** For `member`: the matching members' names (at most 3). */
  memberNames: string[];
}

export type FileKind = 'file' | 'image' | 'video';

export interface ChatFileHit {
  /** The message that carries the file (open it with media.downloadUrl(..., { conversationId, seq })). */
  message: ChatMessage;
  /** "" for images and videos. */
  name: string;
  kind: FileKind;
  highlights: Highlight[];
}

/** One post found. Open it with `moments.get(momentId)`. */
export interface MomentHit {
  momentId: string;
  authorId: string;
  /** Epoch ms. */
  createdAt: number;
  snippet: string;
  highlights: Highlight[];
}

/** A post of the square found. Open its thread with `square.thread(threadId)`. */
export interface SquareHit extends Omit<MomentHit, 'momentId'> {
  postId: string;
  threadId: string;
  boardId: string;
  /** The thread's title now. */
  threadTitle: string;
  /** 0: the thread's first post (its title or body matched); a reply otherwise. */
  floor: number;
}

export interface DriveFileHit {
  entry: DriveEntry;
  kind: FileKind;
  highlights: Highlight[];
}

export interface FileSearchResult {
  chatFiles: ChatFileHit[];
  nextPageToken?: string;
  /** First page only: matching files of the user's drive. */
  driveFiles: DriveFileHit[];
}

const KIND_OF: Record<number, FileKind> = {
  [search.FileKind.IMAGE]: 'image',
  [search.FileKind.VIDEO]: 'video',
};
const KIND_NUMBER: Record<FileKind, search.FileKind> = {
  file: search.FileKind.FILE,
  image: search.FileKind.IMAGE,
  video: search.FileKind.VIDEO,
};

const marks = (h: readonly search.Highlight[]): Highlight[] => h.map((x) => ({ start: x.start, end: x.end }));
const when = (t: number | Date | undefined) => (t === undefined ? undefined : timestampFromMs(+t));

/**
 * Search: chat history, contacts (with pinyin), files and moments. Chinese matches anywhere in a text,
 * other words by their start; Traditional and Simplified find each other. Results are what
 * the user may see, nothing else. Failures reject with MyChatError (`INVALID_ARGUMENT` for an
 * empty query or a bad page token, `FIELD_TOO_LONG` past 100 characters).
 */
export class SearchApi {
  /** @internal */
  constructor(
    private readonly rpc: Client<typeof search.SearchService>,
    private readonly authed: Authed,
  ) {}

  async messages(query: string, o: MessageSearchOptions = {}): Promise<MessageSearchResult> {
    const type =
      o.type === 'text'
        ? message.MessageType.TEXT
        : o.type === 'file'
          ? message.MessageType.FILE
          : message.MessageType.UNSPECIFIED;
    const r = await this.authed((h) =>
      this.rpc.searchMessages(
        {
          query,
          conversationId: o.conversationId ?? '',
          senderId: o.senderId ?? '',
          type,
          since: when(o.since),
          until: when(o.until),
          limit: o.limit ?? 0,
          pageToken: o.pageToken ?? '',
        },
        h,
      ),
    );
    return {
      hits: r.hits.map((x) => ({
        conversationId: x.conversationId,
        seq: x.seq,
        messageId: x.messageId,
        senderId: x.senderId,
        type: x.type === message.MessageType.FILE ? 'file' : 'text',
        createdAt: ms(x.createdAt),
        snippet: x.snippet,
        highlights: marks(x.highlights),
      })),
      ...(r.nextPageToken && { nextPageToken: r.nextPageToken }),
      conversations: r.conversations.map((c) => ({
        conversationId: c.conversationId,
        count: c.count,
        ...(c.capped && { capped: true }),
        lastSeq: c.lastSeq,
        lastAt: ms(c.lastAt),
      })),
    };
  }

  /** Friends by remark or nickname, groups by name or member, by text or pinyin (`zs` finds 张三). */
  async contacts(
    query: string,
    o: { limit?: number } = {},
  ): Promise<{ friends: FriendHit[]; groups: GroupHit[] }> {
    const r = await this.authed((h) => this.rpc.searchContacts({ query, limit: o.limit ?? 0 }, h));
    return {
      friends: r.friends.map((f) => ({
        friend: toFriend(f.friend!),
        field: f.field === 'remark' ? 'remark' : 'nickname',
        byPinyin: f.byPinyin,
      })),
      groups: r.groups.map((g) => ({
        group: toGroup(g.group!),
        field: g.field === 'member' ? 'member' : 'name',
        byPinyin: g.byPinyin,
        memberNames: [...g.memberNames],
      })),
    };
  }

  /** Files sent in the user's conversations and in their drive, by name; with `kind` the query may be "". */
  async files(
    query: string,
    o: { kind?: FileKind; limit?: number; pageToken?: string; conversationId?: string } = {},
  ): Promise<FileSearchResult> {
    const r = await this.authed((h) =>
      this.rpc.searchFiles(
        {
          query,
          kind: o.kind ? KIND_NUMBER[o.kind] : search.FileKind.UNSPECIFIED,
          limit: o.limit ?? 0,
          pageToken: o.pageToken ?? '',
          conversationId: o.conversationId ?? '',
        },
        h,
      ),
    );
    return {
      chatFiles: r.chatFiles.map((f) => ({
        message: toMessage(f.message!),
        name: f.name,
        kind: KIND_OF[f.kind] ?? 'file',
        highlights: marks(f.highlights),
      })),
      ...(r.nextPageToken && { nextPageToken: r.nextPageToken }),
      driveFiles: r.driveFiles.map((f) => ({
        entry: toEntry(f.entry),
        kind: KIND_OF[f.kind] ?? 'file',
        highlights: marks(f.highlights),
      })),
    };
  }

  /** Posts of the user and their friends that the user may see now, by text, newest first. */
  async moments(
    query: string,
    o: { limit?: number; pageToken?: string } = {},
  ): Promise<{ hits: MomentHit[]; nextPageToken?: string }> {
    const r = await this.authed((h) =>
      this.rpc.searchMoments({ query, limit: o.limit ?? 0, pageToken: o.pageToken ?? '' }, h),
    );
    return {
      hits: r.hits.map((x) => ({
        momentId: x.momentId,
        authorId: x.authorId,
        createdAt: ms(x.createdAt),
        snippet: x.snippet,
        highlights: marks(x.highlights),
      })),
      ...(r.nextPageToken && { nextPageToken: r.nextPageToken }),
    };
  }

  /** Threads and replies of the square the user may read now (their groups' boards too), newest first. */
  async square(
    query: string,
    o: { limit?: number; pageToken?: string } = {},
  ): Promise<{ hits: SquareHit[]; nextPageToken?: string }> {
    const r = await this.authed((h) =>
      this.rpc.searchSquare({ query, limit: o.limit ?? 0, pageToken: o.pageToken ?? '' }, h),
    );
    return {
      hits: r.hits.map((x) => ({
        postId: x.postId,
        threadId: x.threadId,
        boardId: x.boardId,
        threadTitle: x.threadTitle,
        floor: x.floor,
        authorId: x.authorId,
        createdAt: ms(x.createdAt),
        snippet: x.snippet,
        highlights: marks(x.highlights),
      })),
      ...(r.nextPageToken && { nextPageToken: r.nextPageToken }),
    };
  }
}
