import type { BlobStore } from '../../adapters/blob/blob.js';
import { asId, asNum } from '../../adapters/sql/sql.js';
import { blobKeysOf } from './media.processing.js';
import type { MediaRepository } from './media.repository.js';

/** Files deleted by one PurgeUserMedia call when the caller gives no limit, and at most. */
export const PURGE_DEFAULT_LIMIT = 200;
export const PURGE_MAX_LIMIT = 1000;

/**
 * A deleted account's files (MediaInternalService.PurgeUserMedia): every file it owns goes
 * from the blob store first, then its rows (the file, its grants, drive entries, upload ids
 * and jobs) in one short transaction per file, so a crash between the two leaves a row whose
 * blobs are gone and the next call deletes it again (deleting an absent blob is no error).
 * Its quota is freed with the rows. What others kept of a file (their own copy, in their
 * drive or favourites) is theirs and stays; a message of theirs that forwarded one of the
 * user's files now points at a deleted file, as the recalled original does.
 */
export class MediaPurge {
  constructor(
    private readonly repo: MediaRepository,
    private readonly blob: BlobStore,
  ) {}

  async purge(userId: string, limit: number): Promise<{ files: number; bytes: number; more: boolean }> {
    const db = this.repo.db;
    const rows = await db
      .selectFrom('media_files')
      .selectAll()
      .where('owner_id', '=', userId)
      .orderBy('id')
      .limit(limit)
      .execute();
    let bytes = 0;
    for (const r of rows) {
      const id = asId(r.id);
      const keys = blobKeysOf({
        id,
        blobKey: r.blob_key,
        thumbKey: r.thumb_key,
        posterKey: r.poster_key,
      } as Parameters<typeof blobKeysOf>[0]);
      for (const k of keys) if (k) await this.blob.delete(k);
      await this.repo.transaction(async (tx) => {
        await tx.deleteFrom('media_grants').where('media_id', '=', id).execute();
        await tx.deleteFrom('media_drive').where('media_id', '=', id).execute();
        await tx.deleteFrom('media_uploads').where('media_id', '=', id).execute();
        await tx.deleteFrom('media_jobs').where('media_id', '=', id).execute();
        await tx.deleteFrom('media_files').where('id', '=', id).execute();
      });
      if (r.deleted_at === null) bytes += asNum(r.size);
    }
    const more = rows.length === limit;
    // The folders of their drive, once no file is left.
    if (!more) await db.deleteFrom('media_drive').where('owner_id', '=', userId).execute();
    return { files: rows.length, bytes, more };
  }
}
