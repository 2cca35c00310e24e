import { sql } from 'kysely';
import { asId, asNum, isUniqueViolation } from '../../../adapters/sql/sql.js';
import { HistoryStore } from './history-store.js';
import type { Db } from './rows.js';

/** A member's draft of one conversation. */
export interface DraftRow {
  text: string;
  updatedAt: number;
}

/**
 * The message store's fourth layer: what one member keeps for themself only — messages
 * deleted for them (`msg_hidden`), how far they cleared their history
 * (`msg_members.cleared_seq`) and their draft (`msg_drafts`). See membership-store.ts for how
 * the layers stack.
 */
export class RecordStateStore extends HistoryStore {
  /** The seqs `userId` hid in each conversation, above `after` of that conversation, ascending. */
  async hiddenSeqs(userId: string, after: ReadonlyMap<string, number>): Promise<Map<string, number[]>> {
    const out = new Map<string, number[]>();
    const ids = [...after.keys()];
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.db
        .selectFrom('msg_hidden')
        .select(['conv_id', 'seq'])
        .where('user_id', '=', userId)
        .where('conv_id', 'in', ids.slice(i, i + 500))
        .orderBy('seq')
        .execute();
      for (const r of rows) {
        const conv = asId(r.conv_id);
        const seq = asNum(r.seq);
        if (seq <= (after.get(conv) ?? 0)) continue;
        const list = out.get(conv);
        if (list) list.push(seq);
        else out.set(conv, [seq]);
      }
    }
    return out;
  }

  /** Which of `seqs` `userId` hid in `convId`. */
  async hiddenAmong(convId: string, userId: string, seqs: readonly number[]): Promise<Set<number>> {
    if (!seqs.length) return new Set();
    const rows = await this.db
      .selectFrom('msg_hidden')
      .select('seq')
      .where('user_id', '=', userId)
      .where('conv_id', '=', convId)
      .where('seq', 'in', [...seqs])
      .execute();
    return new Set(rows.map((r) => asNum(r.seq)));
  }

  /** Which of `userIds` deleted the message of `seq` in `convId` for themself. */
  async hiddenBy(convId: string, seq: number, userIds: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < userIds.length; i += 500) {
      const rows = await this.db
        .selectFrom('msg_hidden')
        .select('user_id')
        .where('user_id', 'in', userIds.slice(i, i + 500))
        .where('conv_id', '=', convId)
        .where('seq', '=', seq)
        .execute();
      for (const r of rows) out.add(asId(r.user_id));
    }
    return out;
  }

  /** How many seqs above `after` `userId` hid in `convId`. */
  async hiddenCount(convId: string, userId: string, after: number): Promise<number> {
    const r = await this.db
      .selectFrom('msg_hidden')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('user_id', '=', userId)
      .where('conv_id', '=', convId)
      .where('seq', '>', after)
      .executeTakeFirst();
    return r ? asNum(r.n) : 0;
  }

  /** Hides seqs for one member; seqs already hidden stay as they are (a retry changes nothing). */
  async hide(convId: string, userId: string, seqs: readonly number[]): Promise<void> {
    const have = await this.hiddenAmong(convId, userId, seqs);
    for (const seq of seqs) {
      if (have.has(seq)) continue;
      try {
        await this.db.insertInto('msg_hidden').values({ conv_id: convId, user_id: userId, seq }).execute();
      } catch (err) {
        // The same seq hidden by another device at the same moment: hidden either way.
        if (!isUniqueViolation(err)) throw err;
      }
    }
  }

  /**
   * Clears a member's history up to `seq` (forward only) in `db`; the seqs they hid up to it
   * are forgotten (cleared covers them).
   */
  async clearUpTo(db: Db, convId: string, userId: string, seq: number): Promise<void> {
    await db
      .updateTable('msg_members')
      .set({ cleared_seq: sql<number>`case when cleared_seq < ${seq} then ${seq} else cleared_seq end` })
      .where('conv_id', '=', convId)
      .where('user_id', '=', userId)
      .execute();
    await db
      .deleteFrom('msg_hidden')
      .where('user_id', '=', userId)
      .where('conv_id', '=', convId)
      .where('seq', '<=', seq)
      .execute();
    this.changedConversation(convId);
  }

  /** The drafts of `userId` in these conversations. */
  async drafts(userId: string, convIds: readonly string[]): Promise<Map<string, DraftRow>> {
    const out = new Map<string, DraftRow>();
    for (let i = 0; i < convIds.length; i += 500) {
      const rows = await this.db
        .selectFrom('msg_drafts')
        .selectAll()
        .where('user_id', '=', userId)
        .where('conv_id', 'in', convIds.slice(i, i + 500))
        .execute();
      for (const r of rows) out.set(asId(r.conv_id), { text: r.text, updatedAt: asNum(r.updated_at) });
    }
    return out;
  }

  /**
   * Writes a draft unless the stored one is newer (last writer wins; equal times: this one).
   * Empty text deletes it. Returns whether it was written.
   */
  async putDraft(db: Db, convId: string, userId: string, text: string, at: number): Promise<boolean> {
    const cur = await db
      .selectFrom('msg_drafts')
      .select('updated_at')
      .where('user_id', '=', userId)
      .where('conv_id', '=', convId)
      .executeTakeFirst();
    if (cur && asNum(cur.updated_at) > at) return false;
    await db.deleteFrom('msg_drafts').where('user_id', '=', userId).where('conv_id', '=', convId).execute();
    if (text !== '')
      await db
        .insertInto('msg_drafts')
        .values({ conv_id: convId, user_id: userId, text, updated_at: at })
        .execute();
    return true;
  }
}
