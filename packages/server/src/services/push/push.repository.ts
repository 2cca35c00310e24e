import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { asBool, asId, asNum, isUniqueViolation, type SqlDatabase } from '../../adapters/sql/sql.js';
import type { PushTables } from './push.tables.js';

export interface SubscriptionRow {
  id: string;
  userId: string;
  sessionId: string;
  clientType: string;
  deviceName: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  createdAt: number;
  lastOkAt: number;
  failures: number;
}

export interface SettingsRow {
  preview: boolean;
  dndEnabled: boolean;
  dndStart: number;
  dndEnd: number;
  timeZone: string;
}

export interface HeldRow {
  userId: string;
  topic: string;
  payload: string;
  urgency: string;
  releaseAt: number;
}

export const DEFAULT_SETTINGS: SettingsRow = {
  preview: false,
  dndEnabled: false,
  dndStart: 22 * 60,
  dndEnd: 7 * 60,
  timeZone: 'UTC',
};

export const endpointHash = (endpoint: string) => createHash('sha256').update(endpoint).digest('hex');

const toSub = (r: Record<string, unknown>): SubscriptionRow => ({
  id: asId(r.id),
  userId: asId(r.user_id),
  sessionId: asId(r.session_id),
  clientType: r.client_type as string,
  deviceName: r.device_name as string,
  endpoint: r.endpoint as string,
  p256dh: r.p256dh as string,
  auth: r.auth as string,
  createdAt: asNum(r.created_at),
  lastOkAt: asNum(r.last_ok_at),
  failures: asNum(r.failures),
});

const toSettings = (r: Record<string, unknown>): SettingsRow => ({
  preview: asBool(r.preview),
  dndEnabled: asBool(r.dnd_enabled),
  dndStart: asNum(r.dnd_start),
  dndEnd: asNum(r.dnd_end),
  timeZone: r.time_zone as string,
});

/** Subscriptions, settings and held pushes. Nothing outside the push module reads these. */
export class PushRepository {
  constructor(readonly db: Kysely<PushTables>) {}

  static of(sql: SqlDatabase): PushRepository {
    return new PushRepository(sql.db as Kysely<PushTables>);
  }

  /**
   * Stores a subscription for its session: the session's previous one goes, and so does
   * any row with the same endpoint (the browser now belongs to this session).
   */
  async saveSubscription(s: SubscriptionRow): Promise<void> {
    const hash = endpointHash(s.endpoint);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.db.transaction().execute(async (tx) => {
          await tx
            .deleteFrom('push_subscriptions')
            .where((eb) => eb.or([eb('endpoint_hash', '=', hash), eb('session_id', '=', s.sessionId)]))
            .execute();
          await tx
            .insertInto('push_subscriptions')
            .values({
              id: s.id,
              user_id: s.userId,
              session_id: s.sessionId,
              client_type: s.clientType,
              device_name: s.deviceName,
              endpoint_hash: hash,
              endpoint: s.endpoint,
              p256dh: s.p256dh,
              auth: s.auth,
              created_at: s.createdAt,
              last_ok_at: 0,
              failures: 0,
            })
            .execute();
        });
        return;
      } catch (err) {
        // Two racing saves of one endpoint or session: the later one wins on retry.
        if (!isUniqueViolation(err) || attempt >= 2) throw err;
      }
    }
  }

  async byUser(userId: string): Promise<SubscriptionRow[]> {
    const rows = await this.db
      .selectFrom('push_subscriptions')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('id')
      .execute();
    return rows.map(toSub);
  }

  async byUsers(userIds: readonly string[]): Promise<SubscriptionRow[]> {
    if (!userIds.length) return [];
    const rows = await this.db
      .selectFrom('push_subscriptions')
      .selectAll()
      .where('user_id', 'in', [...userIds])
      .execute();
    return rows.map(toSub);
  }

  async bySession(sessionId: string): Promise<SubscriptionRow | undefined> {
    const r = await this.db
      .selectFrom('push_subscriptions')
      .selectAll()
      .where('session_id', '=', sessionId)
      .executeTakeFirst();
    return r && toSub(r);
  }

  async deleteByEndpoint(userId: string, endpoint: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('push_subscriptions')
      .where('endpoint_hash', '=', endpointHash(endpoint))
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Deletes the subscriptions of these sessions; returns how many went. */
  async deleteBySessions(sessionIds: readonly string[]): Promise<number> {
    if (!sessionIds.length) return 0;
    const r = await this.db
      .deleteFrom('push_subscriptions')
      .where('session_id', 'in', [...sessionIds])
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async deleteById(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('push_subscriptions').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async markOk(id: string, now: number): Promise<void> {
    await this.db
      .updateTable('push_subscriptions')
      .set({ last_ok_at: now, failures: 0 })
      .where('id', '=', id)
      .execute();
  }

  /** Counts a failure; returns the failures in a row now. */
  async markFailed(id: string): Promise<number> {
    await this.db
      .updateTable('push_subscriptions')
      .set((eb) => ({ failures: eb('failures', '+', 1) }))
      .where('id', '=', id)
      .execute();
    const r = await this.db
      .selectFrom('push_subscriptions')
      .select('failures')
      .where('id', '=', id)
      .executeTakeFirst();
    return r ? asNum(r.failures) : 0;
  }

  /** Users with a subscription whose id is above `afterId`, and the highest id seen. */
  async subscribedUsersAfter(afterId: string, limit = 5000): Promise<{ userIds: string[]; lastId: string }> {
    const rows = await this.db
      .selectFrom('push_subscriptions')
      .select(['id', 'user_id'])
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    return {
      userIds: [...new Set(rows.map((r) => asId(r.user_id)))],
      lastId: rows.length ? asId(rows[rows.length - 1]!.id) : afterId,
    };
  }

  async settings(userId: string): Promise<SettingsRow> {
    return (await this.settingsOf([userId])).get(userId) ?? DEFAULT_SETTINGS;
  }

  /** Stored settings by user; users without a row are left out (they have the defaults). */
  async settingsOf(userIds: readonly string[]): Promise<Map<string, SettingsRow>> {
    if (!userIds.length) return new Map();
    const rows = await this.db
      .selectFrom('push_settings')
      .selectAll()
      .where('user_id', 'in', [...userIds])
      .execute();
    return new Map(rows.map((r) => [asId(r.user_id), toSettings(r)]));
  }

  async saveSettings(userId: string, s: SettingsRow, now: number): Promise<void> {
    const values = {
      preview: s.preview ? 1 : 0,
      dnd_enabled: s.dndEnabled ? 1 : 0,
      dnd_start: s.dndStart,
      dnd_end: s.dndEnd,
      time_zone: s.timeZone,
      updated_at: now,
    };
    for (let attempt = 0; ; attempt++) {
      const r = await this.db
        .updateTable('push_settings')
        .set(values)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) > 0) return;
      try {
        await this.db
          .insertInto('push_settings')
          .values({ user_id: userId, ...values })
          .execute();
        return;
      } catch (err) {
        if (!isUniqueViolation(err) || attempt >= 2) throw err;
      }
    }
  }

  /** Holds a push until `releaseAt`, replacing one held for the same user and topic. */
  async hold(h: HeldRow, now: number): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('push_held').where('user_id', '=', h.userId).where('topic', '=', h.topic).execute();
      await tx
        .insertInto('push_held')
        .values({
          user_id: h.userId,
          topic: h.topic,
          payload: h.payload,
          urgency: h.urgency,
          release_at: h.releaseAt,
          created_at: now,
        })
        .execute();
    });
  }

  async due(now: number, limit = 500): Promise<HeldRow[]> {
    const rows = await this.db
      .selectFrom('push_held')
      .selectAll()
      .where('release_at', '<=', now)
      .orderBy('release_at')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      userId: asId(r.user_id),
      topic: r.topic,
      payload: r.payload,
      urgency: r.urgency,
      releaseAt: asNum(r.release_at),
    }));
  }

  /** Takes a held push (deletes it); false when another sender took it first. */
  async take(h: HeldRow): Promise<boolean> {
    const r = await this.db
      .deleteFrom('push_held')
      .where('user_id', '=', h.userId)
      .where('topic', '=', h.topic)
      .where('release_at', '=', h.releaseAt)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Drops a held push (the conversation was read meanwhile). */
  async dropHeld(userId: string, topic: string): Promise<void> {
    await this.db.deleteFrom('push_held').where('user_id', '=', userId).where('topic', '=', topic).execute();
  }
}
