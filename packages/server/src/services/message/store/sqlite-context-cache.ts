import type { SendContext } from './rows.js';
import type { ConversationRow, MemberRow } from '../message.tables.js';

/** Member entries kept at most (about 300 bytes each); the oldest go first. */
const MAX_MEMBERS = 200_000;
/** Conversation rows kept at most. */
const MAX_CONVERSATIONS = 100_000;

interface ConvEntry {
  row: ConversationRow;
  /** Which fill of this conversation the member entries belong to. */
  stamp: number;
}

interface MemberEntry {
  me: MemberRow;
  directMembers: string[] | undefined;
  hidesReceipts: boolean;
  convStamp: number;
}

/**
 * The send context (member row, conversation, 1:1 audience, receipt setting) of recent
 * senders, in memory: every message reads it twice (the send and the recipient's delivered
 * ack), and on SQLite that read was the largest single cost of a message. Only for a
 * database this process alone writes (the SQLite store checks SQLite's `data_version` and
 * drops everything when another connection committed).
 *
 * How it stays true:
 * - The group commit's own changes (a conversation's head, the sender's read cursor,
 *   delivered cursors) are applied in place once committed, forward only (`headMoved`,
 *   `cursorMoved`), before the writer answers anyone.
 * - Every other write drops what it touches (`dropConversation`, `dropAll`): the
 *   conversation row and with it all its member entries.
 * - A read that ran before a write must not fill in what the write dropped or moved: a
 *   caller takes `epoch()` when its query runs and `fill` ignores it if anything was
 *   written since.
 * Callers get copies; nothing they do changes what is kept.
 */
export class ContextCache {
  private readonly convs = new Map<string, ConvEntry>();
  private readonly members = new Map<string, MemberEntry>();
  private writes = 0;
  private stamps = 0;

  /** Counts writes; a fill stamped with an older count is ignored. */
  epoch(): number {
    return this.writes;
  }

  /** Marks a write about to be committed: reads before it no longer fill in. */
  written(): void {
    this.writes++;
  }

  get(convId: string, userId: string): SendContext | undefined {
    const c = this.convs.get(convId);
    if (!c) return undefined;
    const m = this.members.get(key(convId, userId));
    if (!m || m.convStamp !== c.stamp) return undefined;
    return {
      conv: { ...c.row },
      me: { ...m.me },
      directMembers: m.directMembers && [...m.directMembers],
      hidesReceipts: m.hidesReceipts,
    };
  }

  /** Keeps what a read found, unless anything was written since `epoch` (its `epoch()`). */
  fill(ctx: SendContext, epoch: number): void {
    if (epoch !== this.writes) return;
    let c = this.convs.get(ctx.conv.id);
    if (!c) {
      c = { row: { ...ctx.conv }, stamp: ++this.stamps };
      this.convs.set(ctx.conv.id, c);
      if (this.convs.size > MAX_CONVERSATIONS) this.convs.delete(this.convs.keys().next().value!);
    }
    const k = key(ctx.conv.id, ctx.me.userId);
    this.members.delete(k); // re-inserted last: evicted last
    this.members.set(k, {
      me: { ...ctx.me },
      directMembers: ctx.directMembers && [...ctx.directMembers],
      hidesReceipts: ctx.hidesReceipts,
      convStamp: c.stamp,
    });
    if (this.members.size > MAX_MEMBERS) this.members.delete(this.members.keys().next().value!);
  }

  /** A committed send moved the conversation's head. */
  headMoved(convId: string, lastSeq: number, at: number): void {
    const c = this.convs.get(convId);
    if (!c) return;
    c.row.lastSeq = Math.max(c.row.lastSeq, lastSeq);
    c.row.lastMessageAt = Math.max(c.row.lastMessageAt, at);
  }

  /** A committed cursor move (forward only; a read also moves delivered). */
  cursorMoved(convId: string, userId: string, c: { read?: number; delivered?: number }): void {
    const m = this.members.get(key(convId, userId));
    if (!m) return;
    if (c.read !== undefined) m.me.readSeq = Math.max(m.me.readSeq, c.read);
    m.me.deliveredSeq = Math.max(m.me.deliveredSeq, c.delivered ?? 0, c.read ?? 0);
  }

  /** Something else about the conversation or one of its members changed. */
  dropConversation(convId: string): void {
    this.writes++;
    this.convs.delete(convId);
  }

  dropAll(): void {
    this.writes++;
    this.convs.clear();
    this.members.clear();
  }

  get size(): { conversations: number; members: number } {
    return { conversations: this.convs.size, members: this.members.size };
  }
}

const key = (convId: string, userId: string) => `${convId}:${userId}`;
