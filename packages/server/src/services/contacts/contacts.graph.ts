import type { Kysely } from 'kysely';
import { prepared, slot } from '../../adapters/sql/prepared.js';
import { asId, asNum, type SqlDatabase } from '../../adapters/sql/sql.js';
import type { Card, Directory } from './contacts.peers.js';
import type { ContactsTables } from './contacts.tables.js';

/** Ids per IN list, so a long friend list never makes one huge statement. */
const CHUNK = 500;

/**
 * What other services ask contacts about a person's circle (the moments service: whose posts
 * a viewer may see, whose likes and comments, who gets the fan-out): friends with when each
 * friendship began, block relations, and profiles with the viewer's remarks.
 */
export class FriendGraph {
  private readonly db: Kysely<ContactsTables>;

  constructor(
    sql: SqlDatabase,
    private readonly directory: Directory,
  ) {
    this.db = sql.db as Kysely<ContactsTables>;
  }

  /*
   * The statements moments runs on every circle it loads and every profile it looks up,
   * compiled once (see `prepared`): building them with Kysely cost more CPU than SQLite's work.
   */
  private readonly friendRows = prepared<{ user: string }>(() =>
    this.db
      .selectFrom('contacts_friends')
      .select(['friend_id', 'created_at'])
      .where('user_id', '=', slot('user')),
  );
  private readonly blockRows = prepared<{ user: string }>(() =>
    this.db
      .selectFrom('contacts_blocks')
      .select(['user_id', 'blocked_id'])
      .where((w) => w.or([w('user_id', '=', slot('user')), w('blocked_id', '=', slot('user'))])),
  );
  private readonly remarkOfOne = prepared<{ viewer: string; friend: string }>(() =>
    this.db
      .selectFrom('contacts_friends')
      .select(['friend_id', 'remark'])
      .where('user_id', '=', slot('viewer'))
      .where('friend_id', '=', slot('friend'))
      .where('remark', '!=', ''),
  );

  /**
   * The user's friends and when each friendship began, anyone in a block relation left out.
   * Two index reads (the friend list, the user's block relations in either direction) filtered
   * here: a NOT EXISTS per friend cost 0.3 ms a call for 200 friends on SQLite, and moments
   * asks this on every feed read.
   */
  async friends(userId: string): Promise<{ userId: string; since: number }[]> {
    const [{ rows }, { rows: blocks }] = await Promise.all([
      this.friendRows(this.db, { user: userId }),
      this.blockRows(this.db, { user: userId }),
    ]);
    const blocked = new Set(
      blocks.map((b) => (asId(b.user_id) === userId ? asId(b.blocked_id) : asId(b.user_id))),
    );
    return rows.flatMap((r) => {
      const id = asId(r.friend_id);
      return blocked.has(id) ? [] : [{ userId: id, since: asNum(r.created_at) }];
    });
  }

  /** Of `candidates`, those in a block relation with `userId` in either direction. */
  async blockRelations(userId: string, candidates: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < candidates.length; i += CHUNK) {
      const part = candidates.slice(i, i + CHUNK);
      const rows = await this.db
        .selectFrom('contacts_blocks')
        .select(['user_id', 'blocked_id'])
        .where((w) =>
          w.or([
            w.and([w('user_id', '=', userId), w('blocked_id', 'in', part)]),
            w.and([w('blocked_id', '=', userId), w('user_id', 'in', part)]),
          ]),
        )
        .execute();
      for (const r of rows) out.add(asId(r.user_id) === userId ? asId(r.blocked_id) : asId(r.user_id));
    }
    return out;
  }

  /** Profiles of `ids` in the order asked (unknown ids left out), with the viewer's remarks. */
  async lookup(
    viewerId: string,
    ids: readonly string[],
    requestId: string,
  ): Promise<{ user: Card; remark: string }[]> {
    const unique = [...new Set(ids)];
    const cards = await this.directory.lookup(unique, requestId);
    const remarks = new Map<string, string>();
    if (unique.length === 1) {
      const { rows } = await this.remarkOfOne(this.db, { viewer: viewerId, friend: unique[0]! });
      for (const r of rows) remarks.set(asId(r.friend_id), r.remark as string);
    }
    for (let i = 0; unique.length > 1 && i < unique.length; i += CHUNK) {
      const rows = await this.db
        .selectFrom('contacts_friends')
        .select(['friend_id', 'remark'])
        .where('user_id', '=', viewerId)
        .where('friend_id', 'in', unique.slice(i, i + CHUNK))
        .where('remark', '!=', '')
        .execute();
      for (const r of rows) remarks.set(asId(r.friend_id), r.remark);
    }
    return unique.flatMap((id) => {
      const user = cards.get(id);
      return user ? [{ user, remark: remarks.get(id) ?? '' }] : [];
    });
  }
}
