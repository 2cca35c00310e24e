import { createHash } from 'node:crypto';
import { message as pb } from '@mychat/protocol';
import type { SafeFetchOptions } from '../../../kernel/safe-fetch.js';
import type { MessageRow } from '../message.tables.js';
import { decodeContent } from '../message.views.js';
import { appendPreviewEvent, previewMsg, type PreviewEventDeps } from './link-preview.event.js';
import { fetchLinkPreview, type LinkPreviewLimits } from './link-preview.fetch.js';
import { fetchPreviewImage } from './link-preview.image.js';
import { firstLink } from './link-preview.parse.js';
import type { CachedPreview, LinkPreviewRepository } from './link-preview.repository.js';

export interface LinkPreviewDeps {
  repo: LinkPreviewRepository;
  message: PreviewEventDeps;
  config: LinkPreviewLimits & { enabled: boolean; cacheTtlSeconds: number; concurrency: number };
  /** The operator's allowed private addresses and CA (or a test's), passed to the guard. */
  guard: Pick<SafeFetchOptions, 'allowAddress' | 'ca' | 'resolve'>;
}

/** A failed page is asked again after at most this long. */
const FAILURE_TTL_MS = 10 * 60_000;
const MAX_URL = 2048;

export { previewMsg };

/**
 * Link previews (docs/protocol.md 4.8): after a text message with an http(s) link is stored,
 * the server (never the client) fetches the page through the SSRF guard, caches what it read
 * (shared by every message linking the page) and appends a silent LINK_PREVIEW event that
 * carries it to the conversation (sync brings it to every device); history pages carry it on
 * the message itself. Best effort and off the send path: a slow or refused page only means
 * no preview.
 */
export class LinkPreviews {
  private running = 0;
  constructor(private readonly d: LinkPreviewDeps) {}

  /** Called after a message is stored; never throws, never delays the send. */
  onStored(row: MessageRow): void {
    if (!this.d.config.enabled || row.type !== pb.MessageType.TEXT || !row.content.includes('http')) return;
    const body = decodeContent(row.content).body;
    const url = body.case === 'text' ? firstLink(body.value.text) : undefined;
    if (!url || url.length > MAX_URL || this.running >= this.d.config.concurrency) return;
    this.running++;
    void this.preview(row, url)
      .catch((err: unknown) =>
        this.d.message.logger.warn({ err, conversation_id: row.convId, seq: row.seq }, 'link preview failed'),
      )
      .finally(() => this.running--);
  }

  /** The cached preview of `url`, fetched when missing or expired. */
  async lookup(url: string): Promise<CachedPreview> {
    const urlHash = createHash('sha256').update(url).digest('hex');
    const now = this.d.message.clock.now();
    const cached = await this.d.repo.cached(urlHash);
    if (cached && cached.expiresAt > now) return cached;
    const ttl = this.d.config.cacheTtlSeconds * 1000;
    let fresh: CachedPreview;
    try {
      const { imageUrl, ...p } = await fetchLinkPreview(url, this.d.config, this.d.guard);
      const ok = Boolean(p.title || p.description);
      // An image that cannot be used (refused, too large, not an image) only means none.
      const image =
        ok && imageUrl ? await fetchPreviewImage(imageUrl, this.d.config, this.d.guard) : undefined;
      fresh = { urlHash, ok, ...p, ...(image && { image }), expiresAt: now + ttl };
    } catch (err) {
      // The reason (refused, too slow, not a page) is the guard's; the URL is not logged.
      this.d.message.logger.debug({ err }, 'link not previewed');
      // A page that worked before keeps its preview until it works again.
      if (cached?.ok) return cached;
      fresh = {
        urlHash,
        ok: false,
        url,
        title: '',
        description: '',
        siteName: '',
        expiresAt: now + Math.min(ttl, FAILURE_TTL_MS),
      };
    }
    fresh = { ...fresh, url: fresh.url.slice(0, MAX_URL) };
    await this.d.repo.save(fresh);
    return fresh;
  }

  private async preview(row: MessageRow, url: string): Promise<void> {
    const p = await this.lookup(url);
    if (p.ok) await appendPreviewEvent(this.d.message, row, p);
  }

  /** The previews of a history page's messages, by seq. */
  async forPage(convId: string, rows: readonly MessageRow[]): Promise<Map<number, CachedPreview>> {
    const links = rows.filter((r) => r.type === pb.MessageType.TEXT && r.content.includes('http'));
    if (!this.d.config.enabled || !links.length) return new Map();
    return this.d.repo.forRange(convId, links[0]!.seq, links[links.length - 1]!.seq);
  }
}
