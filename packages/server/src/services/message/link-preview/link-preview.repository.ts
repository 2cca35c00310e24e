import type { Kysely } from 'kysely';
import { asNum, isUniqueViolation, type SqlDatabase } from '../../../adapters/sql/sql.js';

export interface CachedPreview {
  urlHash: string;
  ok: boolean;
  url: string;
  title: string;
  description: string;
  siteName: string;
  /** The og:image's WebP thumbnail, when there is one. */
  image?: Uint8Array;
  expiresAt: number;
}

export interface LinkPreviewTables {
  link_previews: {
    url_hash: string;
    ok: number;
    url: string;
    title: string;
    description: string;
    site_name: string;
    image: Uint8Array | null;
    expires_at: number;
  };
  /** Which message shows which page, and the LINK_PREVIEW event that said so (null before it). */
  msg_link_previews: { conv_id: string; seq: number; url_hash: string; event_seq: number | null };
}

const toCached = (r: LinkPreviewTables['link_previews']): CachedPreview => ({
  urlHash: r.url_hash,
  ok: asNum(r.ok) === 1,
  url: r.url,
  title: r.title,
  description: r.description,
  siteName: r.site_name,
  ...(r.image && r.image.length > 0 && { image: new Uint8Array(r.image) }),
  expiresAt: asNum(r.expires_at),
});

export class LinkPreviewRepository {
  private readonly db: Kysely<LinkPreviewTables>;
  constructor(sql: SqlDatabase) {
    this.db = sql.db as Kysely<LinkPreviewTables>;
  }

  async cached(urlHash: string): Promise<CachedPreview | undefined> {
    const r = await this.db
      .selectFrom('link_previews')
      .selectAll()
      .where('url_hash', '=', urlHash)
      .executeTakeFirst();
    return r && toCached(r);
  }

  /** Replaces the cache entry of a URL (a fetch after the entry expired). */
  async save(p: CachedPreview): Promise<void> {
    const row = {
      url_hash: p.urlHash,
      ok: p.ok ? 1 : 0,
      url: p.url,
      title: p.title,
      description: p.description,
      site_name: p.siteName,
      image: p.image ? Buffer.from(p.image) : null,
      expires_at: p.expiresAt,
    };
    try {
      await this.db.transaction().execute(async (tx) => {
        await tx.deleteFrom('link_previews').where('url_hash', '=', p.urlHash).execute();
        await tx.insertInto('link_previews').values(row).execute();
      });
    } catch (err) {
      // Another process saved the same page at the same moment: theirs is as good.
      if (!isUniqueViolation(err)) throw err;
    }
  }

  /** The previews (successful ones) of the messages from..to of a conversation, by seq. */
  async forRange(convId: string, from: number, to: number): Promise<Map<number, CachedPreview>> {
    const rows = await this.db
      .selectFrom('msg_link_previews as m')
      .innerJoin('link_previews as p', 'p.url_hash', 'm.url_hash')
      .select([
        'm.seq',
        'p.url_hash',
        'p.ok',
        'p.url',
        'p.title',
        'p.description',
        'p.site_name',
        'p.image',
        'p.expires_at',
      ])
      .where('m.conv_id', '=', convId)
      .where('m.seq', '>=', from)
      .where('m.seq', '<=', to)
      .where('p.ok', '=', 1)
      .execute();
    return new Map(rows.map((r) => [asNum(r.seq), toCached(r)]));
  }
}
