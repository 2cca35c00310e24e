import { create, fromJsonString } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { message as msg, search as pb } from '@mychat/protocol';
import type { Caller } from '../../rpc/call-context.js';
import type {
  ConversationCount,
  HitCursor,
  IndexDoc,
  ReadWindow,
  SearchIndex,
  SearchScope,
} from './search.port.js';
import { typeToken } from './search.port.js';
import { matches, parseQuery, snippet, type ParsedQuery } from './search.text.js';

/** The read windows of a user (the message service decides them, as for GetHistory). */
export type WindowSource = (userId: string, conversationId?: string) => Promise<ReadWindow[]>;

export interface MessageQuery {
  query: string;
  conversationId?: string;
  senderId?: string;
  type?: number;
  sinceMs?: number;
  untilMs?: number;
  limit: number;
  after?: HitCursor;
}

export interface FileQuery {
  query: string;
  /** Message types (IMAGE, VIDEO, FILE) to look in. */
  types: readonly number[];
  limit: number;
  after?: HitCursor;
  /** Only this conversation's files. */
  conversationId?: string;
}

export interface Page<T> {
  items: T[];
  /** The last item's place, when more may follow. */
  next?: HitCursor;
}

/**
 * Message and file search over the index. The scope is the caller's read windows, asked of
 * the message service on every search, so a hit is always something GetHistory would show
 * them now (from their join point, up to their leave point; a stranger has no window). Every
 * candidate the index returns is checked against its text before it is a hit.
 */
export class MessageSearch {
  constructor(
    private readonly d: {
      index: SearchIndex;
      windows: WindowSource;
    },
  ) {}

  async messages(
    caller: Caller,
    input: MessageQuery,
  ): Promise<{ hits: pb.MessageHit[]; next?: HitCursor; conversations?: pb.ConversationHits[] }> {
    const q = parseQuery(input.query);
    const windows = await this.d.windows(caller.userId, input.conversationId);
    const scope: SearchScope = {
      windows,
      ...(input.senderId && { senderId: input.senderId }),
      // Unset: every type with text (text messages and file names; images have none).
      ...(input.type && { types: [input.type] }),
      ...(input.sinceMs !== undefined && { fromMs: input.sinceMs }),
      ...(input.untilMs !== undefined && { toMs: input.untilMs }),
    };
    const order = input.conversationId ? 'seq' : 'time';
    const page = await this.page(q, scope, order, input.limit, input.after, (d) => matches(q, d.text));
    const hits = page.items.map((d) => {
      const s = snippet(q, d.text);
      return create(pb.MessageHitSchema, {
        conversationId: d.convId,
        seq: d.seq,
        messageId: d.msgId,
        senderId: d.senderId,
        type: d.type,
        createdAt: timestampFromMs(d.createdAt),
        snippet: s.text,
        highlights: s.ranges.map(([start, end]) => ({ start, end })),
      });
    });
    if (input.after) return { hits, ...(page.next && { next: page.next }) };
    const counts = await this.d.index.count(q, scope);
    return { hits, ...(page.next && { next: page.next }), conversations: counts.map(countMsg) };
  }

  async files(caller: Caller, input: FileQuery): Promise<Page<pb.ChatFileHit>> {
    // An empty query lists every file of the kind: its type token is the one lookup.
    const q: ParsedQuery =
      input.query.trim() === ''
        ? { folded: '', runs: [], lookups: [{ exact: input.types.map(typeToken) }] }
        : parseQuery(input.query);
    const windows = await this.d.windows(caller.userId, input.conversationId);
    const scope: SearchScope = { windows, types: input.types };
    const check = (d: IndexDoc) => input.query.trim() === '' || matches(q, d.text);
    const page = await this.page(q, scope, 'time', input.limit, input.after, check);
    return {
      items: page.items.map((d) =>
        create(pb.ChatFileHitSchema, {
          message: create(msg.MessageSchema, {
            conversationId: d.convId,
            seq: d.seq,
            id: d.msgId,
            senderId: d.senderId,
            type: d.type,
            createdAt: timestampFromMs(d.createdAt),
            content: d.content ? fromJsonString(msg.MessageContentSchema, d.content) : undefined,
          }),
          name: d.text,
          kind: fileKindOf(d.type),
          highlights:
            input.query.trim() === ''
              ? []
              : snippet(q, d.text, 1000).ranges.map(([start, end]) => ({ start, end })),
        }),
      ),
      ...(page.next && { next: page.next }),
    };
  }

  /**
   * One page of checked hits: candidates from the index, newest first, until `limit` pass
   * the check or the index has no more; `next` is set when another page may follow.
   */
  private async page(
    q: ParsedQuery,
    scope: SearchScope,
    order: 'time' | 'seq',
    limit: number,
    after: HitCursor | undefined,
    check: (d: IndexDoc) => boolean,
  ): Promise<Page<IndexDoc>> {
    const out: IndexDoc[] = [];
    let cursor = after;
    for (;;) {
      const want = limit + 1 - out.length;
      const batch = await this.d.index.find(q, scope, {
        order,
        limit: want,
        ...(cursor && { after: cursor }),
      });
      for (const d of batch) if (check(d)) out.push(d);
      if (batch.length < want || out.length > limit) break;
      cursor = batch[batch.length - 1];
    }
    const items = out.slice(0, limit);
    const last = items[items.length - 1];
    return { items, ...(out.length > limit && last && { next: last }) };
  }
}

function countMsg(c: ConversationCount): pb.ConversationHits {
  return create(pb.ConversationHitsSchema, {
    conversationId: c.convId,
    count: c.count,
    capped: !!c.capped,
    lastSeq: c.lastSeq,
    lastAt: timestampFromMs(c.lastAt),
  });
}

/** The file kind of a message type. */
export function fileKindOf(type: number): pb.FileKind {
  if (type === msg.MessageType.IMAGE) return pb.FileKind.IMAGE;
  if (type === msg.MessageType.VIDEO) return pb.FileKind.VIDEO;
  return pb.FileKind.FILE;
}

/** The message types of a file kind (all three for none). */
export function typesOfKind(kind: pb.FileKind): number[] {
  if (kind === pb.FileKind.IMAGE) return [msg.MessageType.IMAGE];
  if (kind === pb.FileKind.VIDEO) return [msg.MessageType.VIDEO];
  if (kind === pb.FileKind.FILE) return [msg.MessageType.FILE];
  return [msg.MessageType.FILE, msg.MessageType.IMAGE, msg.MessageType.VIDEO];
}
