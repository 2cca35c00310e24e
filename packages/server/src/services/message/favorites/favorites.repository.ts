import { sql, type Kysely } from 'kysely';
import { asId, asNum, isUniqueViolation, type SqlDatabase } from '../../../adapters/sql/sql.js';

export interface FavoriteRow {
  id: string;
  userId: string;
  kind: string;
  /** MessageContent as protobuf JSON. */
  content: string;
  searchText: string;
  tags: string[];
  mediaIds: string[];
  convId: string;
  seq: number;
  senderId: string;
  sentAt: number;
  createdAt: number;
}

interface FavoritesTables {
  favorites: {
    id: string;
    user_id: string;
    kind: string;
    content: string;
    search_text: string;
    tags: string;
    media_ids: string;
    conv_id: string;
    seq: number;
    sender_id: string;
    sent_at: number;
    created_at: number;
  };
}

/** Tags are stored joined by a character they cannot hold (validated: no control characters). */
const SEP = '\u0001';
const split = (s: string, sep: string) => (s ? s.split(sep) : []);

const toRow = (r: Record<string, unknown>): FavoriteRow => ({
  id: asId(r.id),
  userId: asId(r.user_id),
  kind: r.kind as string,
  content: r.content as string,
  searchText: r.search_text as string,
  tags: split(r.tags as string, SEP),
  mediaIds: split(r.media_ids as string, ','),
  convId: asId(r.conv_id),
  seq: asNum(r.seq),
  senderId: asId(r.sender_id),
  sentAt: asNum(r.sent_at),
  createdAt: asNum(r.created_at),
});

export class FavoritesRepository {
  private readonly db: Kysely<FavoritesTables>;
  constructor(sql: SqlDatabase) {
    this.db = sql.db as Kysely<FavoritesTables>;
  }

  /** Inserts; false when this user already saved that message. */
  async insert(f: FavoriteRow): Promise<boolean> {
    try {
      await this.db
        .insertInto('favorites')
        .values({
          id: f.id,
          user_id: f.userId,
          kind: f.kind,
          content: f.content,
          search_text: f.searchText,
          tags: f.tags.join(SEP),
          media_ids: f.mediaIds.join(','),
          conv_id: f.convId,
          seq: f.seq,
          sender_id: f.senderId,
          sent_at: f.sentAt,
          created_at: f.createdAt,
        })
        .execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async bySource(userId: string, convId: string, seq: number): Promise<FavoriteRow | undefined> {
    const r = await this.db
      .selectFrom('favorites')
      .selectAll()
      .where('user_id', '=', userId)
      .where('conv_id', '=', convId)
      .where('seq', '=', seq)
      .executeTakeFirst();
    return r && toRow(r);
  }

  /** The user's favourite, or undefined (someone else's is undefined too). */
  async get(userId: string, id: string): Promise<FavoriteRow | undefined> {
    const r = await this.db
      .selectFrom('favorites')
      .selectAll()
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return r && toRow(r);
  }

  async count(userId: string): Promise<number> {
    const r = await this.db
      .selectFrom('favorites')
      .select((e) => e.fn.countAll().as('n'))
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return asNum(r?.n ?? 0);
  }

  /**
   * Newest first, before `beforeId`. Kind and tag are exact; the text is a substring of the
   * lower-cased search text, matched in SQL with LIKE (its wildcards escaped).
   */
  async list(
    userId: string,
    q: { kind: string; tag: string; query: string; beforeId: string; limit: number },
  ): Promise<FavoriteRow[]> {
    let s = this.db.selectFrom('favorites').selectAll().where('user_id', '=', userId);
    if (q.kind) s = s.where('kind', '=', q.kind);
    if (q.beforeId) s = s.where('id', '<', q.beforeId);
    if (q.query) s = s.where(contains('search_text', q.query.toLowerCase()));
    if (q.tag) s = s.where(contains('tags', q.tag));
    const rows = (
      await s
        .orderBy('id', 'desc')
        .limit(q.tag ? 500 : q.limit)
        .execute()
    ).map(toRow);
    // A tag is matched exactly after the coarse LIKE (tags are few per favourite).
    return (q.tag ? rows.filter((r) => r.tags.includes(q.tag)) : rows).slice(0, q.limit);
  }

  async allTags(userId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('favorites').select('tags').where('user_id', '=', userId).execute();
    return [...new Set(rows.flatMap((r) => split(r.tags, SEP)))].sort();
  }

  async setTags(userId: string, id: string, tags: string[], searchText: string): Promise<void> {
    await this.db
      .updateTable('favorites')
      .set({ tags: tags.join(SEP), search_text: searchText })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .execute();
  }

  async delete(userId: string, id: string): Promise<void> {
    await this.db.deleteFrom('favorites').where('id', '=', id).where('user_id', '=', userId).execute();
  }
}

/**
 * `column LIKE '%text%'` with the text's wildcards escaped by '!', named in an ESCAPE clause:
 * SQLite has no default escape character, and a backslash reads differently per engine.
 */
function contains(column: 'search_text' | 'tags', text: string) {
  const pattern = `%${text.replace(/[!%_]/g, (c) => `!${c}`)}%`;
  return sql<boolean>`${sql.ref(column)} like ${pattern} escape '!'`;
}
