import type { Kysely, Transaction } from 'kysely';
import { asBool, asId, asNum, isUniqueViolation, type SqlDatabase } from '../../adapters/sql/sql.js';
import type { DriveRow, GrantRow, MediaRow, MediaTables } from './media.tables.js';

type Db = Kysely<MediaTables>;

function toMedia(r: MediaTables['media_files']): MediaRow {
  return {
    id: asId(r.id),
    ownerId: asId(r.owner_id),
    kind: asNum(r.kind),
    status: asNum(r.status),
    mime: r.mime,
    size: asNum(r.size),
    sha256: r.sha256.trim(),
    name: r.name,
    blobKey: r.blob_key,
    thumbKey: r.thumb_key,
    posterKey: r.poster_key,
    width: asNum(r.width),
    height: asNum(r.height),
    durationMs: asNum(r.duration_ms),
    waveform: r.waveform ? (JSON.parse(r.waveform) as number[]) : [],
    placeholder: r.placeholder,
    error: r.error,
    createdAt: asNum(r.created_at),
  };
}

function toDrive(r: MediaTables['media_drive']): DriveRow {
  return {
    id: asId(r.id),
    ownerId: asId(r.owner_id),
    parentId: asId(r.parent_id),
    isFolder: asBool(r.is_folder),
    name: r.name,
    mediaId: r.media_id === null ? null : asId(r.media_id),
    createdAt: asNum(r.created_at),
    updatedAt: asNum(r.updated_at),
  };
}

/** What a media row update may change. */
export type MediaPatch = Partial<
  Pick<
    MediaRow,
    | 'status'
    | 'mime'
    | 'size'
    | 'sha256'
    | 'blobKey'
    | 'thumbKey'
    | 'posterKey'
    | 'width'
    | 'height'
    | 'durationMs'
    | 'waveform'
    | 'placeholder'
    | 'error'
  >
>;

/** The media service's SQL: files, upload ids, grants and the drive. Jobs live in media.jobs.ts. */
export class MediaRepository {
  readonly db: Db;
  constructor(sql: SqlDatabase) {
    this.db = sql.db as Db;
  }

  transaction<T>(fn: (tx: Transaction<MediaTables>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  async insertMedia(m: MediaRow, now: number, db: Db = this.db): Promise<void> {
    await db
      .insertInto('media_files')
      .values({
        id: m.id,
        owner_id: m.ownerId,
        kind: m.kind,
        status: m.status,
        mime: m.mime,
        size: m.size,
        sha256: m.sha256,
        name: m.name,
        blob_key: m.blobKey,
        thumb_key: m.thumbKey,
        poster_key: m.posterKey,
        width: m.width,
        height: m.height,
        duration_ms: m.durationMs,
        waveform: m.waveform.length ? JSON.stringify(m.waveform) : '',
        placeholder: m.placeholder,
        error: m.error,
        created_at: now,
        updated_at: now,
        deleted_at: null,
      })
      .execute();
  }

  async updateMedia(id: string, p: MediaPatch, now: number): Promise<void> {
    await this.db
      .updateTable('media_files')
      .set({
        ...(p.status !== undefined && { status: p.status }),
        ...(p.mime !== undefined && { mime: p.mime }),
        ...(p.size !== undefined && { size: p.size }),
        ...(p.sha256 !== undefined && { sha256: p.sha256 }),
        ...(p.blobKey !== undefined && { blob_key: p.blobKey }),
        ...(p.thumbKey !== undefined && { thumb_key: p.thumbKey }),
        ...(p.posterKey !== undefined && { poster_key: p.posterKey }),
        ...(p.width !== undefined && { width: p.width }),
        ...(p.height !== undefined && { height: p.height }),
        ...(p.durationMs !== undefined && { duration_ms: p.durationMs }),
        ...(p.waveform !== undefined && { waveform: JSON.stringify(p.waveform) }),
        ...(p.placeholder !== undefined && { placeholder: p.placeholder }),
        ...(p.error !== undefined && { error: p.error.slice(0, 255) }),
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
  }

  async media(id: string): Promise<MediaRow | undefined> {
    const r = await this.db
      .selectFrom('media_files')
      .selectAll()
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return r && toMedia(r);
  }

  async mediaMany(ids: string[]): Promise<Map<string, MediaRow>> {
    if (!ids.length) return new Map();
    const rows = await this.db
      .selectFrom('media_files')
      .selectAll()
      .where('id', 'in', ids)
      .where('deleted_at', 'is', null)
      .execute();
    return new Map(rows.map((r) => [asId(r.id), toMedia(r)]));
  }

  /** A live file of the owner with these bytes and kind (de-duplication), failed ones aside. */
  async bySha(ownerId: string, sha256: string, kind: number): Promise<MediaRow | undefined> {
    const r = await this.db
      .selectFrom('media_files')
      .selectAll()
      .where('owner_id', '=', ownerId)
      .where('sha256', '=', sha256)
      .where('kind', '=', kind)
      .where('deleted_at', 'is', null)
      .where('status', '!=', 3)
      .orderBy('id')
      .executeTakeFirst();
    return r && toMedia(r);
  }

  async usedBytes(ownerId: string): Promise<number> {
    const r = await this.db
      .selectFrom('media_files')
      .select((eb) => eb.fn.sum<string | number>('size').as('total'))
      .where('owner_id', '=', ownerId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return asNum(r?.total ?? 0);
  }

  /**
   * Bytes of the owner's files that My files lists (each file once, however many entries point
   * at it): the part of usedBytes the drive page can show; the rest is in chats and moments.
   */
  async driveBytes(ownerId: string): Promise<number> {
    const r = await this.db
      .selectFrom('media_files as f')
      .select((eb) => eb.fn.sum<string | number>('f.size').as('total'))
      .where('f.owner_id', '=', ownerId)
      .where('f.deleted_at', 'is', null)
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom('media_drive as d')
            .select('d.id')
            .whereRef('d.media_id', '=', 'f.id')
            .where('d.owner_id', '=', ownerId),
        ),
      )
      .executeTakeFirst();
    return asNum(r?.total ?? 0);
  }

  /** Bytes and files stored over every owner (not deleted), for the console's dashboard. */
  async storageUsage(): Promise<{ bytes: number; files: number }> {
    const r = await this.db
      .selectFrom('media_files')
      .select((eb) => [eb.fn.sum<string | number>('size').as('total'), eb.fn.countAll<number>().as('n')])
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return { bytes: asNum(r?.total ?? 0), files: Number(r?.n ?? 0) };
  }

  async markDeleted(id: string, now: number): Promise<void> {
    await this.db.updateTable('media_files').set({ deleted_at: now }).where('id', '=', id).execute();
  }

  async uploadResult(uploadId: string): Promise<string | undefined> {
    const r = await this.db
      .selectFrom('media_uploads')
      .select('media_id')
      .where('upload_id', '=', uploadId)
      .executeTakeFirst();
    return r && asId(r.media_id);
  }

  /** Records an upload's file; false when another call recorded it first. */
  async recordUpload(uploadId: string, mediaId: string, now: number): Promise<boolean> {
    try {
      await this.db
        .insertInto('media_uploads')
        .values({ upload_id: uploadId, media_id: mediaId, created_at: now })
        .execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async addGrant(g: GrantRow, now: number): Promise<void> {
    try {
      await this.db
        .insertInto('media_grants')
        .values({
          media_id: g.mediaId,
          conv_id: g.convId,
          sender_id: g.senderId,
          client_msg_id: g.clientMsgId,
          created_at: now,
        })
        .execute();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err; // a retried send: already granted
    }
  }

  async removeGrant(g: GrantRow): Promise<void> {
    await this.db
      .deleteFrom('media_grants')
      .where('media_id', '=', g.mediaId)
      .where('conv_id', '=', g.convId)
      .where('sender_id', '=', g.senderId)
      .where('client_msg_id', '=', g.clientMsgId)
      .execute();
  }

  /** Whether exactly this message was granted the file. */
  async hasGrant(g: GrantRow): Promise<boolean> {
    const row = await this.db
      .selectFrom('media_grants')
      .select('media_id')
      .where('media_id', '=', g.mediaId)
      .where('conv_id', '=', g.convId)
      .where('sender_id', '=', g.senderId)
      .where('client_msg_id', '=', g.clientMsgId)
      .executeTakeFirst();
    return row !== undefined;
  }

  async grants(mediaId: string, limit = 50): Promise<GrantRow[]> {
    const rows = await this.db
      .selectFrom('media_grants')
      .selectAll()
      .where('media_id', '=', mediaId)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      mediaId: asId(r.media_id),
      convId: asId(r.conv_id),
      senderId: asId(r.sender_id),
      clientMsgId: r.client_msg_id,
    }));
  }

  /** Whether any message or drive entry still uses a file. */
  async inUse(mediaId: string): Promise<boolean> {
    const g = await this.db
      .selectFrom('media_grants')
      .select('media_id')
      .where('media_id', '=', mediaId)
      .limit(1)
      .executeTakeFirst();
    if (g) return true;
    const d = await this.db
      .selectFrom('media_drive')
      .select('id')
      .where('media_id', '=', mediaId)
      .limit(1)
      .executeTakeFirst();
    return d !== undefined;
  }

  /** Ready files created before `before` that no message and no drive entry uses. */
  async orphans(before: number, limit: number): Promise<MediaRow[]> {
    const rows = await this.db
      .selectFrom('media_files as f')
      .selectAll('f')
      .where('f.deleted_at', 'is', null)
      .where('f.created_at', '<', before)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('media_grants as g').select('g.media_id').whereRef('g.media_id', '=', 'f.id'))),
      )
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('media_drive as d').select('d.id').whereRef('d.media_id', '=', 'f.id'))),
      )
      .limit(limit)
      .execute();
    return rows.map(toMedia);
  }

  // --- drive ---

  async driveEntry(ownerId: string, id: string): Promise<DriveRow | undefined> {
    const r = await this.db
      .selectFrom('media_drive')
      .selectAll()
      .where('id', '=', id)
      .where('owner_id', '=', ownerId)
      .executeTakeFirst();
    return r && toDrive(r);
  }

  async driveChildren(ownerId: string, parentId: string): Promise<DriveRow[]> {
    const rows = await this.db
      .selectFrom('media_drive')
      .selectAll()
      .where('owner_id', '=', ownerId)
      .where('parent_id', '=', parentId)
      .orderBy('is_folder', 'desc')
      .orderBy('name')
      .limit(1000)
      .execute();
    return rows.map(toDrive);
  }

  async insertDrive(e: DriveRow): Promise<void> {
    await this.db
      .insertInto('media_drive')
      .values({
        id: e.id,
        owner_id: e.ownerId,
        parent_id: e.parentId,
        is_folder: e.isFolder ? 1 : 0,
        name: e.name,
        media_id: e.mediaId,
        created_at: e.createdAt,
        updated_at: e.updatedAt,
      })
      .execute();
  }

  async updateDrive(ownerId: string, id: string, p: { name?: string; parentId?: string }, now: number) {
    await this.db
      .updateTable('media_drive')
      .set({
        ...(p.name !== undefined && { name: p.name }),
        ...(p.parentId !== undefined && { parent_id: p.parentId }),
        updated_at: now,
      })
      .where('id', '=', id)
      .where('owner_id', '=', ownerId)
      .execute();
  }

  async deleteDrive(ownerId: string, ids: string[]): Promise<void> {
    if (!ids.length) return;
    await this.db.deleteFrom('media_drive').where('owner_id', '=', ownerId).where('id', 'in', ids).execute();
  }
}
