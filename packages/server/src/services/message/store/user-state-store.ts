import { sql, type Insertable } from 'kysely';
import { slot } from '../../../adapters/sql/prepared.js';
import { asBool, asId, asNum } from '../../../adapters/sql/sql.js';
import type { MessageTables } from '../message.tables.js';
import { MembershipStore } from './membership-store.js';
import type { Db } from './rows.js';

type UserStateRow = Insertable<MessageTables['msg_user_state']>;

/**
 * The message store's second layer: each user's update counter (`pts`, what Sync reports
 * changes by) and privacy setting. See membership-store.ts for how the layers stack.
 */
export class UserStateStore extends MembershipStore {
  private readonly userStateQuery = this.hot<{ user: string }>('userState', () =>
    this.db.selectFrom('msg_user_state').selectAll().where('user_id', '=', slot('user')),
  );

  async userState(userId: string, db: Db = this.db): Promise<{ pts: number; hideReadReceipts: boolean }> {
    const r = (await this.userStateQuery(db, { user: userId })).rows[0];
    return { pts: r ? asNum(r.pts) : 0, hideReadReceipts: r ? asBool(r.hide_read_receipts) : false };
  }

  async hidingReceipts(userIds: string[]): Promise<Set<string>> {
    if (!userIds.length) return new Set();
    const rows = await this.db
      .selectFrom('msg_user_state')
      .select('user_id')
      .where('user_id', 'in', userIds)
      .where('hide_read_receipts', '=', 1)
      .execute();
    return new Set(rows.map((r) => asId(r.user_id)));
  }

  async setHideReadReceipts(userId: string, hide: boolean): Promise<void> {
    await this.ensureUserState(this.db, [userId]);
    await this.db
      .updateTable('msg_user_state')
      .set({ hide_read_receipts: hide ? 1 : 0 })
      .where('user_id', '=', userId)
      .execute();
    // Rare (a setting): every cached context of the user would carry it.
    this.changedEverything();
  }

  /**
   * Bumps the update counter of each user and stamps their member row of `convId` with it,
   * so their next Sync reports the conversation. Returns the new pts per user.
   */
  async bumpPts(db: Db, convId: string, userIds: string[]): Promise<Map<string, number>> {
    if (!userIds.length) return new Map<string, number>();
    const out = await this.bumpUserPts(db, userIds);
    await db
      .updateTable('msg_members')
      .set({ pts: sql<number>`(select s.pts from msg_user_state s where s.user_id = msg_members.user_id)` })
      .where('conv_id', '=', convId)
      .where('user_id', 'in', userIds)
      .execute();
    this.changedConversation(convId);
    return out;
  }

  /**
   * Stamps the member rows of conversations whose head moved since their last stamp with one
   * new pts of the user (messages do not bump pts on the send path: that would be a write per
   * member per message). Returns the user's pts afterwards.
   */
  async stampMovedHeads(userId: string): Promise<number> {
    const stamped: string[] = [];
    const pts = await this.db.transaction().execute(async (tx) => {
      const moved = (await this.heads(userId, tx)).filter((h) => h.lastSeq > h.syncedSeq);
      if (!moved.length) return (await this.userState(userId, tx)).pts;
      const next = (await this.bumpUserPts(tx, [userId])).get(userId) ?? 0;
      for (const h of moved) {
        await tx
          .updateTable('msg_members')
          .set({ pts: next, synced_seq: h.lastSeq })
          .where('conv_id', '=', h.convId)
          .where('user_id', '=', userId)
          .execute();
        stamped.push(h.convId);
      }
      return next;
    });
    for (const convId of stamped) this.changedConversation(convId);
    return pts;
  }

  /** Adds one to each user's pts; returns the new values. */
  private async bumpUserPts(db: Db, userIds: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    await this.ensureUserState(db, userIds);
    await db
      .updateTable('msg_user_state')
      .set({ pts: sql<number>`pts + 1` })
      .where('user_id', 'in', userIds)
      .execute();
    const rows = await db
      .selectFrom('msg_user_state')
      .select(['user_id', 'pts'])
      .where('user_id', 'in', userIds)
      .execute();
    for (const r of rows) out.set(asId(r.user_id), asNum(r.pts));
    return out;
  }

  private async ensureUserState(db: Db, userIds: string[]): Promise<void> {
    const have = new Set(
      (await db.selectFrom('msg_user_state').select('user_id').where('user_id', 'in', userIds).execute()).map(
        (r) => asId(r.user_id),
      ),
    );
    const missing = userIds
      .filter((u) => !have.has(u))
      .map((user_id) => ({ user_id, pts: 0, hide_read_receipts: 0 }));
    if (!missing.length) return;
    await this.insertUserStates(db, missing);
  }

  /** Inserts user state rows, skipping any another writer inserted meanwhile. */
  protected async insertUserStates(db: Db, rows: UserStateRow[]): Promise<void> {
    await db
      .insertInto('msg_user_state')
      .values(rows)
      .onConflict((oc) => oc.column('user_id').doNothing())
      .execute();
  }
}
