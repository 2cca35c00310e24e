import type { Kysely } from 'kysely';
import { asId, asNum, isUniqueViolation, type SqlDatabase } from '../../../adapters/sql/sql.js';

export interface StickerRow {
  id: string;
  userId: string;
  mediaId: string;
  position: number;
  /** MediaRef as protobuf JSON. */
  image: string;
  createdAt: number;
}

export interface PackItemRow {
  id: string;
  packId: string;
  position: number;
  mediaId: string;
  image: string;
  emoji: string;
}

export interface PackRow {
  id: string;
  name: string;
  installerId: string;
  createdAt: number;
}

interface StickersTables {
  stickers: {
    id: string;
    user_id: string;
    media_id: string;
    position: number;
    image: string;
    created_at: number;
  };
  sticker_packs: { id: string; name: string; installer_id: string; created_at: number };
  sticker_pack_items: {
    id: string;
    pack_id: string;
    position: number;
    media_id: string;
    image: string;
    emoji: string;
  };
}

const toSticker = (r: Record<string, unknown>): StickerRow => ({
  id: asId(r.id),
  userId: asId(r.user_id),
  mediaId: asId(r.media_id),
  position: asNum(r.position),
  image: r.image as string,
  createdAt: asNum(r.created_at),
});

const toItem = (r: Record<string, unknown>): PackItemRow => ({
  id: asId(r.id),
  packId: asId(r.pack_id),
  position: asNum(r.position),
  mediaId: asId(r.media_id),
  image: r.image as string,
  emoji: r.emoji as string,
});

export class StickersRepository {
  private readonly db: Kysely<StickersTables>;
  constructor(sql: SqlDatabase) {
    this.db = sql.db as Kysely<StickersTables>;
  }

  /** Inserts first in the user's order; false when the user already has a sticker of that file. */
  async insert(s: Omit<StickerRow, 'position'>): Promise<boolean> {
    const r = await this.db
      .selectFrom('stickers')
      .select((e) => e.fn.min('position').as('p'))
      .where('user_id', '=', s.userId)
      .executeTakeFirst();
    const first = r?.p == null ? 0 : asNum(r.p);
    try {
      await this.db
        .insertInto('stickers')
        .values({
          id: s.id,
          user_id: s.userId,
          media_id: s.mediaId,
          position: first - 1,
          image: s.image,
          created_at: s.createdAt,
        })
        .execute();
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async byMedia(userId: string, mediaId: string): Promise<StickerRow | undefined> {
    const r = await this.db
      .selectFrom('stickers')
      .selectAll()
      .where('user_id', '=', userId)
      .where('media_id', '=', mediaId)
      .executeTakeFirst();
    return r && toSticker(r);
  }

  async count(userId: string): Promise<number> {
    const r = await this.db
      .selectFrom('stickers')
      .select((e) => e.fn.countAll().as('n'))
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return asNum(r?.n ?? 0);
  }

  /** The user's stickers in their order. */
  async list(userId: string): Promise<StickerRow[]> {
    const rows = await this.db
      .selectFrom('stickers')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('position')
      .orderBy('id')
      .execute();
    return rows.map(toSticker);
  }

  /** Gives the user's stickers positions 0, 1, ... in the order of `ids`, in one transaction. */
  async setOrder(userId: string, ids: string[]): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      for (const [i, id] of ids.entries())
        await tx
          .updateTable('stickers')
          .set({ position: i })
          .where('id', '=', id)
          .where('user_id', '=', userId)
          .execute();
    });
  }

  async delete(userId: string, id: string): Promise<void> {
    await this.db.deleteFrom('stickers').where('id', '=', id).where('user_id', '=', userId).execute();
  }

  async insertPack(pack: PackRow, items: PackItemRow[]): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('sticker_packs')
        .values({
          id: pack.id,
          name: pack.name,
          installer_id: pack.installerId,
          created_at: pack.createdAt,
        })
        .execute();
      for (const i of items)
        await tx
          .insertInto('sticker_pack_items')
          .values({
            id: i.id,
            pack_id: i.packId,
            position: i.position,
            media_id: i.mediaId,
            image: i.image,
            emoji: i.emoji,
          })
          .execute();
    });
  }

  /** Every installed pack, oldest first, with its items in order. */
  async packs(): Promise<{ pack: PackRow; items: PackItemRow[] }[]> {
    const packs = await this.db.selectFrom('sticker_packs').selectAll().orderBy('id').execute();
    const items = packs.length
      ? (await this.db.selectFrom('sticker_pack_items').selectAll().orderBy('position').execute()).map(toItem)
      : [];
    return packs.map((p) => ({
      pack: {
        id: asId(p.id),
        name: p.name,
        installerId: asId(p.installer_id),
        createdAt: asNum(p.created_at),
      },
      items: items.filter((i) => i.packId === asId(p.id)),
    }));
  }

  /** Deletes a pack; its items (for their files to be let go), or undefined when there was none. */
  async deletePack(packId: string): Promise<PackItemRow[] | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const found = await tx
        .selectFrom('sticker_packs')
        .select('id')
        .where('id', '=', packId)
        .executeTakeFirst();
      if (!found) return undefined;
      const items = (
        await tx.selectFrom('sticker_pack_items').selectAll().where('pack_id', '=', packId).execute()
      ).map(toItem);
      await tx.deleteFrom('sticker_pack_items').where('pack_id', '=', packId).execute();
      await tx.deleteFrom('sticker_packs').where('id', '=', packId).execute();
      return items;
    });
  }
}
