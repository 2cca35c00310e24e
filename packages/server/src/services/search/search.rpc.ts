import { timestampMs } from '@bufbuild/protobuf/wkt';
import type { Timestamp } from '@bufbuild/protobuf/wkt';
import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import { message as msg, search as pb } from '@mychat/protocol';
import { errors } from '../../kernel/errors.js';
import { isId, parseId } from '../../kernel/ids.js';
import { callInfo, requireCaller, type Caller } from '../../rpc/call-context.js';
import type { ContactSearch } from './search.contacts.js';
import type { DriveSearch } from './search.drive.js';
import { NAME_QUERY_MAX_CHARS } from './search.names.js';
import type { MomentSearch } from './search.moments.js';
import type { SquareSearch } from './search.square.js';
import type { HitCursor } from './search.port.js';
import { typesOfKind, type MessageSearch, type Page } from './search.service.js';
import { QUERY_MAX_CHARS } from './search.text.js';

/** Hits per page: default and most. */
const LIMIT_DEFAULT = 20;
const LIMIT_MAX = 50;

/** A query of 1-`max` characters (code points), not blank. */
function parseQueryText(raw: string, max: number, allowEmpty = false): string {
  // A length test that needs no walk over a huge string first.
  if (raw.length > max * 2 || [...raw].length > max) throw errors.tooLong('query', max);
  if (!allowEmpty && raw.trim() === '') throw errors.invalidArgument('query must not be empty', 'query');
  return raw;
}

function parseLimit(raw: number): number {
  if (raw === 0) return LIMIT_DEFAULT;
  if (!Number.isInteger(raw) || raw < 1 || raw > LIMIT_MAX)
    throw errors.invalidArgument(`limit is 1-${LIMIT_MAX}`, 'limit');
  return raw;
}

const optionalId = (raw: string, field: string) => (raw === '' ? undefined : parseId(raw, field));

const ms = (t: Timestamp | undefined) => (t ? timestampMs(t) : undefined);

/**
 * Page tokens: where the last page ended, as an opaque string. `t` pages go by time across
 * conversations, `s` pages by seq within the one conversation searched.
 */
export function encodePageToken(order: 'time' | 'seq', c: HitCursor): string {
  const raw = order === 'seq' ? `s:${c.seq}` : `t:${c.createdAt}:${c.convId}:${c.seq}`;
  return Buffer.from(raw, 'utf8').toString('base64url');
}

const SEQ_MAX = 0xffff_ffff;

export function decodePageToken(token: string, order: 'time' | 'seq', convId = ''): HitCursor | undefined {
  if (token === '') return undefined;
  const bad = () => errors.invalidArgument('pageToken is not a token this search gave', 'pageToken');
  if (token.length > 100 || !/^[A-Za-z0-9_-]+$/.test(token)) throw bad();
  const parts = Buffer.from(token, 'base64url').toString('utf8').split(':');
  const int = (s: string | undefined, max: number) => {
    if (s === undefined || !/^(0|[1-9][0-9]{0,15})$/.test(s) || Number(s) > max) throw bad();
    return Number(s);
  };
  if (order === 'seq') {
    if (parts.length !== 2 || parts[0] !== 's') throw bad();
    return { createdAt: 0, convId, seq: int(parts[1], SEQ_MAX) };
  }
  if (parts.length !== 4 || parts[0] !== 't' || !isId(parts[2])) throw bad();
  return { createdAt: int(parts[1], Number.MAX_SAFE_INTEGER), convId: parts[2], seq: int(parts[3], SEQ_MAX) };
}

/** SearchService over the wire: parse and check, call, shape. */
export function searchRpc(d: {
  messages: MessageSearch;
  contacts: ContactSearch;
  drive: DriveSearch;
  moments: MomentSearch;
  square: SquareSearch;
}): ServiceImpl<typeof pb.SearchService> {
  return {
    async searchMessages(req, ctx) {
      const caller = requireCaller(ctx);
      const query = parseQueryText(req.query, QUERY_MAX_CHARS);
      const conversationId = optionalId(req.conversationId, 'conversationId');
      const senderId = optionalId(req.senderId, 'senderId');
      if (![msg.MessageType.UNSPECIFIED, msg.MessageType.TEXT, msg.MessageType.FILE].includes(req.type))
        throw errors.invalidArgument('type is TEXT or FILE (or unset for both)', 'type');
      const limit = parseLimit(req.limit);
      const order = conversationId ? 'seq' : 'time';
      const after = decodePageToken(req.pageToken, order, conversationId);
      const r = await d.messages.messages(caller, {
        query,
        limit,
        ...(conversationId && { conversationId }),
        ...(senderId && { senderId }),
        ...(req.type && { type: req.type }),
        ...(req.since && { sinceMs: ms(req.since) }),
        ...(req.until && { untilMs: ms(req.until) }),
        ...(after && { after }),
      });
      return {
        hits: r.hits,
        nextPageToken: r.next ? encodePageToken(order, r.next) : '',
        conversations: r.conversations ?? [],
      };
    },

    async searchContacts(req, ctx) {
      const caller = requireCaller(ctx);
      const query = parseQueryText(req.query, NAME_QUERY_MAX_CHARS);
      return d.contacts.search(caller, callInfo(ctx).requestId, query, parseLimit(req.limit));
    },

    async searchFiles(req, ctx) {
      const caller = requireCaller(ctx);
      if (!Object.values(pb.FileKind).includes(req.kind))
        throw errors.invalidArgument('unknown kind', 'kind');
      const query = parseQueryText(req.query, QUERY_MAX_CHARS, req.kind !== pb.FileKind.UNSPECIFIED);
      const limit = parseLimit(req.limit);
      const after = decodePageToken(req.pageToken, 'time');
      const conversationId = req.conversationId ? parseId(req.conversationId, 'conversationId') : undefined;
      const chat = await d.messages.files(caller, {
        query,
        types: typesOfKind(req.kind),
        limit,
        ...(after && { after }),
        ...(conversationId && { conversationId }),
      });
      const driveFiles =
        after || conversationId
          ? []
          : await d.drive.search(caller, callInfo(ctx).requestId, query, req.kind, limit);
      return {
        chatFiles: chat.items,
        nextPageToken: chat.next ? encodePageToken('time', chat.next) : '',
        driveFiles,
      };
    },

    async searchMoments(req, ctx) {
      return postSearch(d.moments, req, ctx);
    },

    async searchSquare(req, ctx) {
      return postSearch(d.square, req, ctx);
    },
  };
}

/** SearchMoments and SearchSquare: a query, newest first, paged by a token. */
async function postSearch<T>(
  by: {
    search(
      caller: Caller,
      requestId: string,
      input: { query: string; limit: number; after?: HitCursor },
    ): Promise<Page<T>>;
  },
  req: { query: string; limit: number; pageToken: string },
  ctx: HandlerContext,
): Promise<{ hits: T[]; nextPageToken: string }> {
  const caller = requireCaller(ctx);
  const query = parseQueryText(req.query, QUERY_MAX_CHARS);
  const limit = parseLimit(req.limit);
  const after = decodePageToken(req.pageToken, 'time');
  const r = await by.search(caller, callInfo(ctx).requestId, { query, limit, ...(after && { after }) });
  return { hits: r.items, nextPageToken: r.next ? encodePageToken('time', r.next) : '' };
}
