import type { CompiledQuery, Kysely, Transaction } from 'kysely';
import { asBool, asId, asNum, type QueryRunner } from '../../../adapters/sql/sql.js';
import {
  CONV_DIRECT,
  type ConversationRow,
  type MemberRow,
  type MessageRow,
  type MessageTables,
} from '../message.tables.js';

/** The message store's Kysely: the database or one of its transactions. */
export type Db = Kysely<MessageTables> | Transaction<MessageTables>;

/**
 * The transaction of the send path's statements: a Kysely transaction, or on SQLite the
 * direct runner's (see `SqliteMessageStore.groupCommit`), which runs only prepared queries.
 */
export type CommitTx = Db | QueryRunner;

/** The Kysely transaction behind `tx`: the statements built per call exist only outside SQLite. */
export function builder(tx: CommitTx): Db {
  if (!('selectFrom' in tx)) throw new Error('a query builder is needed here, not the SQLite direct runner');
  return tx;
}

/** A statement of the store's hot paths, by name, for the committed SQL snapshot (see `hotSql`). */
export interface HotStatement {
  name: string;
  compile: () => CompiledQuery;
}

export const toMember = (r: Record<string, unknown>): MemberRow => ({
  convId: asId(r.conv_id),
  userId: asId(r.user_id),
  role: asNum(r.role),
  sendState: asNum(r.send_state),
  mutedUntil: asNum(r.muted_until),
  firstSeq: asNum(r.first_seq),
  leftSeq: r.left_seq === null || r.left_seq === undefined ? null : asNum(r.left_seq),
  readSeq: asNum(r.read_seq),
  deliveredSeq: asNum(r.delivered_seq),
  muted: asBool(r.muted),
  pinned: asBool(r.pinned),
  pts: asNum(r.pts),
  clearedSeq: r.cleared_seq === null || r.cleared_seq === undefined ? 0 : asNum(r.cleared_seq),
});

export const toConversation = (r: Record<string, unknown>): ConversationRow => ({
  id: asId(r.id),
  type: asNum(r.type),
  name: r.name as string,
  mutedAll: asBool(r.muted_all),
  lastSeq: asNum(r.last_seq),
  lastMessageAt: asNum(r.last_message_at),
});

export const toMessage = (r: Record<string, unknown>): MessageRow => ({
  convId: asId(r.conv_id),
  seq: asNum(r.seq),
  id: asId(r.id),
  senderId: asId(r.sender_id),
  clientMsgId: r.client_msg_id as string,
  type: asNum(r.type),
  content: r.content as string,
  replyToSeq: asNum(r.reply_to_seq),
  mentions: (r.mentions as string) ? (r.mentions as string).split(',') : [],
  mentionAll: asBool(r.mention_all),
  createdAt: asNum(r.created_at),
  recalledAt: r.recalled_at === null || r.recalled_at === undefined ? null : asNum(r.recalled_at),
  ...(r.edited_at !== null && r.edited_at !== undefined && { editedAt: asNum(r.edited_at) }),
});

/** A message row as SQLite's json_array in `range`: ids as text, the rest as numbers or text. */
export type JsonMessage = [
  seq: number,
  id: string,
  senderId: string,
  clientMsgId: string,
  type: number,
  content: string,
  replyToSeq: number,
  mentions: string,
  mentionAll: number,
  createdAt: number,
  recalledAt: number | null,
  editedAt: number | null,
];

export const fromJsonRow = (convId: string, r: JsonMessage): MessageRow => ({
  convId,
  seq: r[0],
  id: r[1],
  senderId: r[2],
  clientMsgId: r[3],
  type: r[4],
  content: r[5],
  replyToSeq: r[6],
  mentions: r[7] ? r[7].split(',') : [],
  mentionAll: r[8] !== 0,
  createdAt: r[9],
  recalledAt: r[10],
  ...(r[11] !== null && r[11] !== undefined && { editedAt: r[11] }),
});

/**
 * A history page's rows (`[seq, ...]`, as SQLite's json_array gives them) by seq, ascending
 * or descending, whatever order they came in (in place; one pass when already in order).
 */
export function pageInOrder<R extends readonly [number, ...unknown[]]>(rows: R[], ascending: boolean): R[] {
  return rows.sort(ascending ? (a, b) => a[0] - b[0] : (a, b) => b[0] - a[0]);
}

/** A cursor move of one member: read and/or delivered up to a seq (forward only). */
export interface CursorMove {
  convId: string;
  userId: string;
  read?: number;
  delivered?: number;
}

/** A delivered-cursor move as the group-commit writer hands it over. */
export interface DeliveredMove {
  convId: string;
  userId: string;
  seq: number;
}

export const memberKey = (convId: string, userId: string) => `${convId}:${userId}`;

/** What sending to (or acknowledging in) a conversation needs to know; see `sendContext`. */
export interface SendContext {
  conv: ConversationRow;
  me: MemberRow;
  /** 1:1 only: the members who have not left (the push audience). */
  directMembers: string[] | undefined;
  hidesReceipts: boolean;
}

export function toSendContext(r: Record<string, unknown>): SendContext {
  const me = toMember(r);
  const conv = toConversation({ ...r, id: r.conv_id });
  let directMembers: string[] | undefined;
  if (conv.type === CONV_DIRECT) {
    directMembers = [];
    if (me.leftSeq === null) directMembers.push(me.userId);
    if (r.peer_id !== null && r.peer_id !== undefined && (r.peer_left_seq ?? null) === null)
      directMembers.push(asId(r.peer_id));
  }
  return { conv, me, directMembers, hidesReceipts: r.hides != null && asBool(r.hides) };
}

export function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
