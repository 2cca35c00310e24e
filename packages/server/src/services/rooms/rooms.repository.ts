import type { Kysely } from 'kysely';
import { asId, asNum, type SqlDatabase, type SqlEngine } from '../../adapters/sql/sql.js';
import type { RoomsTables } from './rooms.tables.js';

/** "At server time atServerMs the entry is at positionMs", moving on at rate when playing. */
export interface PlayState {
  /** The queue entry; '' for none. */
  entryId: string;
  playing: boolean;
  positionMs: number;
  atServerMs: number;
  /** Thousandths (1000 = 1.0). */
  rateMilli: number;
  version: number;
  /** This state already waited for a buffering member (a command's state starts without). */
  held?: boolean;
}

export interface RoomRow {
  id: string;
  conversationId: string;
  creatorId: string;
  clientMsgId: string;
  title: string;
  hostId: string;
  mode: number;
  state: PlayState;
  createdAt: number;
  emptySince: number | null;
  closedAt: number | null;
}

export interface MemberRow {
  userId: string;
  joinedAt: number;
  delayMs: number;
  /** mychat.rooms.v1.ListenState (0 before any report). */
  listening?: number;
}

export interface EntryRow {
  id: string;
  mediaId: string;
  addedBy: string;
  title: string;
  artist: string;
  mime: string;
  durationMs: number;
  ord: number;
}

type R = RoomsTables['rooms_rooms'];

const toRoom = (r: R): RoomRow => ({
  id: asId(r.id),
  conversationId: asId(r.conversation_id),
  creatorId: asId(r.creator_id),
  clientMsgId: r.client_msg_id,
  title: r.title,
  hostId: asId(r.host_id),
  mode: asNum(r.mode),
  state: {
    entryId: asId(r.entry_id) === '0' ? '' : asId(r.entry_id),
    playing: asNum(r.playing) === 1,
    positionMs: asNum(r.position_ms),
    atServerMs: asNum(r.at_server_ms),
    rateMilli: asNum(r.rate_milli),
    version: asNum(r.version),
    held: asNum(r.held) === 1,
  },
  createdAt: asNum(r.created_at),
  emptySince: r.empty_since === null ? null : asNum(r.empty_since),
  closedAt: r.closed_at === null ? null : asNum(r.closed_at),
});

const stateCols = (s: PlayState) => ({
  entry_id: s.entryId || '0',
  playing: s.playing ? 1 : 0,
  position_ms: Math.round(s.positionMs),
  at_server_ms: Math.round(s.atServerMs),
  rate_milli: s.rateMilli,
  held: s.held ? 1 : 0,
});

/** What a versioned change may set besides the state. */
export interface RoomPatch {
  state?: PlayState;
  hostId?: string;
  mode?: number;
  emptySince?: number | null;
}

/**
 * The rooms service's tables, bound to the database or to one transaction. Every change of a
 * room goes through {@link RoomsStore.bump}: a conditional UPDATE on the version, so two
 * commands based on the same version cannot both apply, on every engine.
 */
export class RoomsStore {
  constructor(
    readonly db: Kysely<RoomsTables>,
    readonly engine: SqlEngine,
  ) {}

  static of(sql: SqlDatabase): RoomsStore {
    return new RoomsStore(sql.db as Kysely<RoomsTables>, sql.engine);
  }

  transaction<T>(fn: (tx: RoomsStore) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((tx) => fn(new RoomsStore(tx, this.engine)));
  }

  async insertRoom(room: RoomRow, host: MemberRow): Promise<void> {
    await this.db
      .insertInto('rooms_rooms')
      .values({
        id: room.id,
        conversation_id: room.conversationId,
        creator_id: room.creatorId,
        client_msg_id: room.clientMsgId,
        title: room.title,
        host_id: room.hostId,
        mode: room.mode,
        ...stateCols(room.state),
        version: room.state.version,
        created_at: room.createdAt,
        empty_since: room.emptySince,
        closed_at: room.closedAt,
      })
      .execute();
    await this.addMember(room.id, host);
  }

  async room(id: string): Promise<RoomRow | undefined> {
    const r = await this.db.selectFrom('rooms_rooms').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toRoom(r);
  }

  async roomByClient(creatorId: string, clientMsgId: string): Promise<RoomRow | undefined> {
    const r = await this.db
      .selectFrom('rooms_rooms')
      .selectAll()
      .where('creator_id', '=', creatorId)
      .where('client_msg_id', '=', clientMsgId)
      .executeTakeFirst();
    return r && toRoom(r);
  }

  async openCountByCreator(creatorId: string): Promise<number> {
    const r = await this.db
      .selectFrom('rooms_rooms')
      .select((e) => e.fn.countAll().as('n'))
      .where('creator_id', '=', creatorId)
      .where('closed_at', 'is', null)
      .executeTakeFirst();
    return asNum(r?.n);
  }

  /**
   * Applies `patch` if the room is still at `fromVersion` and open, and moves it to the next
   * version; false when another change came first (nothing is written then).
   */
  async bump(roomId: string, fromVersion: number, patch: RoomPatch): Promise<boolean> {
    const r = await this.db
      .updateTable('rooms_rooms')
      .set({
        ...(patch.state && stateCols(patch.state)),
        ...(patch.hostId !== undefined && { host_id: patch.hostId }),
        ...(patch.mode !== undefined && { mode: patch.mode }),
        ...(patch.emptySince !== undefined && { empty_since: patch.emptySince }),
        version: fromVersion + 1,
      })
      .where('id', '=', roomId)
      .where('version', '=', fromVersion)
      .where('closed_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Marks an open room closed; false when it already was. */
  async close(roomId: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('rooms_rooms')
      .set({ closed_at: now })
      .where('id', '=', roomId)
      .where('closed_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async members(roomId: string): Promise<MemberRow[]> {
    const rows = await this.db
      .selectFrom('rooms_members')
      .selectAll()
      .where('room_id', '=', roomId)
      .orderBy('joined_at')
      .orderBy('user_id')
      .execute();
    return rows.map((r) => ({
      userId: asId(r.user_id),
      joinedAt: asNum(r.joined_at),
      delayMs: asNum(r.delay_ms),
      listening: asNum(r.listening),
    }));
  }

  async addMember(roomId: string, m: MemberRow): Promise<void> {
    await this.db
      .insertInto('rooms_members')
      .values({
        room_id: roomId,
        user_id: m.userId,
        joined_at: m.joinedAt,
        delay_ms: m.delayMs,
        listening: m.listening ?? 0,
      })
      .execute();
  }

  /** Records what the member's player reported; false when they are not a member. */
  async setListening(roomId: string, userId: string, listening: number): Promise<boolean> {
    const r = await this.db
      .updateTable('rooms_members')
      .set({ listening })
      .where('room_id', '=', roomId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async setDelay(roomId: string, userId: string, delayMs: number): Promise<void> {
    await this.db
      .updateTable('rooms_members')
      .set({ delay_ms: delayMs })
      .where('room_id', '=', roomId)
      .where('user_id', '=', userId)
      .execute();
  }

  async removeMember(roomId: string, userId: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('rooms_members')
      .where('room_id', '=', roomId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  /** Open rooms the user is in, newest first. */
  async roomsOf(userId: string, limit: number): Promise<RoomRow[]> {
    const rows = await this.db
      .selectFrom('rooms_rooms as r')
      .innerJoin('rooms_members as m', 'm.room_id', 'r.id')
      .selectAll('r')
      .where('m.user_id', '=', userId)
      .where('r.closed_at', 'is', null)
      .orderBy('r.id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toRoom);
  }

  async queue(roomId: string): Promise<EntryRow[]> {
    const rows = await this.db
      .selectFrom('rooms_queue')
      .selectAll()
      .where('room_id', '=', roomId)
      .orderBy('ord')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: asId(r.id),
      mediaId: asId(r.media_id),
      addedBy: asId(r.added_by),
      title: r.title,
      artist: r.artist,
      mime: r.mime,
      durationMs: asNum(r.duration_ms),
      ord: asNum(r.ord),
    }));
  }

  async insertEntry(roomId: string, e: EntryRow): Promise<void> {
    await this.db
      .insertInto('rooms_queue')
      .values({
        id: e.id,
        room_id: roomId,
        media_id: e.mediaId,
        added_by: e.addedBy,
        title: e.title,
        artist: e.artist,
        mime: e.mime,
        duration_ms: e.durationMs,
        ord: e.ord,
      })
      .execute();
  }

  async deleteEntry(roomId: string, entryId: string): Promise<void> {
    await this.db.deleteFrom('rooms_queue').where('room_id', '=', roomId).where('id', '=', entryId).execute();
  }

  /** Numbers the entries 1..n in the order given. */
  async setOrder(roomId: string, entryIds: readonly string[]): Promise<void> {
    for (let i = 0; i < entryIds.length; i++) {
      await this.db
        .updateTable('rooms_queue')
        .set({ ord: i + 1 })
        .where('room_id', '=', roomId)
        .where('id', '=', entryIds[i]!)
        .execute();
    }
  }
}
