import type { Kysely, Migration } from 'kysely';
import { asBool, asId, asNum, isUniqueViolation, type SqlDatabase } from '../../adapters/sql/sql.js';

/** Row shape of the calls service's one table. */
export interface CallsTables {
  calls_history: {
    user_id: string;
    call_id: string;
    conversation_id: string;
    /** 1 voice, 2 video (mychat.calls.v1.CallMedia). */
    media: number;
    initiator_id: string;
    /** mychat.calls.v1.CallEndReason. */
    end_reason: number;
    answered: number;
    is_group: number;
    started_at: number;
    duration_ms: number;
  };
}

/** One user's line of a call. */
export interface HistoryRow {
  userId: string;
  callId: string;
  conversationId: string;
  media: number;
  initiatorId: string;
  endReason: number;
  answered: boolean;
  group: boolean;
  startedAt: number;
  durationMs: number;
}

export const callsMigrations: Record<string, Migration> = {
  '0001_calls_history': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('calls_history')
        .addColumn('user_id', 'bigint', (c) => c.notNull())
        .addColumn('call_id', 'bigint', (c) => c.notNull())
        .addColumn('conversation_id', 'bigint', (c) => c.notNull())
        .addColumn('media', 'integer', (c) => c.notNull())
        .addColumn('initiator_id', 'bigint', (c) => c.notNull())
        .addColumn('end_reason', 'integer', (c) => c.notNull())
        .addColumn('answered', 'integer', (c) => c.notNull())
        .addColumn('is_group', 'integer', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('duration_ms', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('calls_history_pk', ['user_id', 'call_id'])
        .execute();
    },
  },
};

/**
 * Each participant's call history: one row per user and call, written once when the call
 * ends; read newest first by call id (ids are time-ordered), so the primary key is the index.
 */
export class CallHistoryRepository {
  private readonly db: Kysely<CallsTables>;

  constructor(sql: SqlDatabase) {
    this.db = sql.db as Kysely<CallsTables>;
  }

  /** Stores the rows of one ended call; rows already stored (a retried end) are kept as they are. */
  async record(rows: readonly HistoryRow[]): Promise<void> {
    for (const r of rows) {
      try {
        await this.db
          .insertInto('calls_history')
          .values({
            user_id: r.userId,
            call_id: r.callId,
            conversation_id: r.conversationId,
            media: r.media,
            initiator_id: r.initiatorId,
            end_reason: r.endReason,
            answered: r.answered ? 1 : 0,
            is_group: r.group ? 1 : 0,
            started_at: r.startedAt,
            duration_ms: r.durationMs,
          })
          .execute();
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
    }
  }

  /** A user's calls older than the call `beforeCallId` ("" for the newest), newest first. */
  async page(userId: string, beforeCallId: string, limit: number): Promise<HistoryRow[]> {
    let q = this.db.selectFrom('calls_history').selectAll().where('user_id', '=', userId);
    if (beforeCallId) q = q.where('call_id', '<', beforeCallId);
    const rows = await q.orderBy('call_id', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      userId: asId(r.user_id),
      callId: asId(r.call_id),
      conversationId: asId(r.conversation_id),
      media: asNum(r.media),
      initiatorId: asId(r.initiator_id),
      endReason: asNum(r.end_reason),
      answered: asBool(r.answered),
      group: asBool(r.is_group),
      startedAt: asNum(r.started_at),
      durationMs: asNum(r.duration_ms),
    }));
  }
}
