import type { Kysely, Selectable } from 'kysely';
import { preparedRows } from '../../adapters/sql/prepared.js';
import { asId, asNum, type SqlEngine } from '../../adapters/sql/sql.js';
import * as st from './moments.statements.js';
import { FILTER_HIDE_FROM, FILTER_MUTE, type MomentsTables, type StoredMedia } from './moments.tables.js';

export interface SettingsRow {
  userId: string;
  /** mychat.moments.v1.AlbumWindow (never UNSPECIFIED). */
  albumWindow: number;
  /** mychat.moments.v1.StrangerAccess (never UNSPECIFIED). */
  strangerAccess: number;
  cover: StoredMedia | null;
}

export interface ReaderRow {
  userId: string;
  activeAt: number;
  pulledAt: number;
  noticesReadId: string;
}

const CHUNK = 500;
/** Lists of ids up to this long are read with a statement compiled once per length. */
const PREPARED_IDS = 32;

type SettingsTableRow = Selectable<MomentsTables['moments_settings']>;

/** Settings, per-person filters and feed readers (see {@link MomentsStore}). */
export class PeopleRepository {
  constructor(
    private readonly db: Kysely<MomentsTables>,
    private readonly engine: SqlEngine,
  ) {}

  // ---- settings

  /**
   * The settings of up to {@link PREPARED_IDS} people, compiled once per count (every feed
   * read asks for its page's authors, where building the query cost more than running it).
   */
  private readonly settingsOfFew = preparedRows<string>({ id: (id) => id }, (values) =>
    this.db
      .selectFrom('moments_settings')
      .selectAll()
      .where(
        'user_id',
        'in',
        values.map((v) => v.id as string),
      ),
  );

  /** Stored settings of `userIds` (those who never changed theirs are absent). */
  async settings(userIds: readonly string[]): Promise<Map<string, SettingsRow>> {
    const out = new Map<string, SettingsRow>();
    const size = userIds.length <= PREPARED_IDS ? PREPARED_IDS : CHUNK;
    for (let i = 0; i < userIds.length; i += size) {
      const part = userIds.slice(i, i + size);
      const rows =
        part.length <= PREPARED_IDS
          ? ((await this.settingsOfFew(this.db, part)).rows as SettingsTableRow[])
          : await this.db.selectFrom('moments_settings').selectAll().where('user_id', 'in', part).execute();
      for (const r of rows)
        out.set(asId(r.user_id), {
          userId: asId(r.user_id),
          albumWindow: asNum(r.album_window),
          strangerAccess: asNum(r.stranger_access),
          cover: r.cover ? (JSON.parse(r.cover) as StoredMedia) : null,
        });
    }
    return out;
  }

  async saveSettings(s: SettingsRow, now: number): Promise<void> {
    const values = {
      album_window: s.albumWindow,
      stranger_access: s.strangerAccess,
      cover: s.cover ? JSON.stringify(s.cover) : null,
      updated_at: now,
    };
    const res = await this.db
      .updateTable('moments_settings')
      .set(values)
      .where('user_id', '=', s.userId)
      .executeTakeFirst();
    // MySQL counts only changed rows, so an update to the same values reads as 0: look first.
    if (Number(res.numUpdatedRows) > 0) return;
    const there = await this.db
      .selectFrom('moments_settings')
      .select('user_id')
      .where('user_id', '=', s.userId)
      .executeTakeFirst();
    if (!there)
      await this.db
        .insertInto('moments_settings')
        .values({ user_id: s.userId, ...values })
        .execute();
  }

  // ---- per-person filters

  /** Whom `userId` hides their posts from (FILTER_HIDE_FROM) or has muted (FILTER_MUTE). */
  async filters(userId: string, kind: number): Promise<string[]> {
    const { rows } = await st.filtersOf(this.db, { user: userId, kind });
    return rows.map((r) => asId(r.other_id));
  }

  /** Who has `otherId` on their list of `kind` (e.g. everyone who hides their posts from them). */
  async filteredBy(otherId: string, kind: number): Promise<Set<string>> {
    const { rows } = await st.filteredBy(this.db, { other: otherId, kind });
    return new Set(rows.map((r) => asId(r.user_id)));
  }

  async addFilters(userId: string, kind: number, others: readonly string[], now: number): Promise<void> {
    if (others.length === 0) return;
    const rows = others.map((other_id) => ({ user_id: userId, kind, other_id, created_at: now }));
    const q = this.db.insertInto('moments_filters').values(rows);
    if (this.engine === 'mysql') await q.ignore().execute();
    else await q.onConflict((oc) => oc.doNothing()).execute();
  }

  async removeFilters(userId: string, kind: number, others: readonly string[]): Promise<void> {
    if (others.length === 0) return;
    await this.db
      .deleteFrom('moments_filters')
      .where('user_id', '=', userId)
      .where('kind', '=', kind)
      .where('other_id', 'in', others)
      .execute();
  }

  // ---- readers

  async reader(userId: string): Promise<ReaderRow | undefined> {
    const r = (await st.readerById(this.db, { user: userId })).rows[0];
    return (
      r && {
        userId: asId(r.user_id),
        activeAt: asNum(r.active_at),
        pulledAt: asNum(r.pulled_at),
        noticesReadId: asId(r.notices_read_id),
      }
    );
  }

  /** Records a read of the feed: `activeAt`, and `pulledAt` when the read pulled. */
  async touch(userId: string, activeAt: number, pulledAt: number | undefined): Promise<void> {
    const res =
      pulledAt === undefined
        ? await st.touchActive(this.db, { user: userId, active: activeAt })
        : await st.touchPulled(this.db, { user: userId, active: activeAt, pulled: pulledAt });
    if (Number(res.numAffectedRows) > 0) return;
    const row = { user_id: userId, active_at: activeAt, pulled_at: pulledAt ?? 0, notices_read_id: '0' };
    const q = this.db.insertInto('moments_readers').values(row);
    // A racing first read inserted it: that one's times are as good.
    if (this.engine === 'mysql') await q.ignore().execute();
    else await q.onConflict((oc) => oc.doNothing()).execute();
  }

  async markNoticesRead(userId: string, noticeId: string): Promise<void> {
    await this.touchExists(userId);
    await this.db
      .updateTable('moments_readers')
      .set({ notices_read_id: noticeId })
      .where('user_id', '=', userId)
      .where('notices_read_id', '<', noticeId)
      .execute();
  }

  /** Of `userIds`, those who read their feed at or after `since`, with when they last did. */
  async activeAmong(userIds: readonly string[], since: number): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (let i = 0; i < userIds.length; i += CHUNK) {
      const rows = await this.db
        .selectFrom('moments_readers')
        .select(['user_id', 'active_at'])
        .where('user_id', 'in', userIds.slice(i, i + CHUNK))
        .where('active_at', '>=', since)
        .execute();
      for (const r of rows) out.set(asId(r.user_id), asNum(r.active_at));
    }
    return out;
  }

  private async touchExists(userId: string): Promise<void> {
    const q = this.db
      .insertInto('moments_readers')
      .values({ user_id: userId, active_at: 0, pulled_at: 0, notices_read_id: '0' });
    if (this.engine === 'mysql') await q.ignore().execute();
    else await q.onConflict((oc) => oc.doNothing()).execute();
  }
}

export { FILTER_HIDE_FROM, FILTER_MUTE };
