import type { SafeFetchOptions } from '../../../kernel/safe-fetch.js';
import { safeGet } from '../../../kernel/safe-fetch.js';
import { decodePage, parsePage, type PagePreview } from './link-preview.parse.js';

/** The caps of one preview fetch (`linkPreview.*`). */
export interface LinkPreviewLimits {
  allowHttp: boolean;
  /** HTML read at most; the head of a page is all a preview needs. */
  maxHtmlBytes: number;
  /** The whole fetch, redirects included. */
  timeoutMs: number;
}

const HTML = new Set(['text/html', 'application/xhtml+xml']);

/**
 * The preview of a link a user sent: the page fetched through the SSRF guard (safeGet), its
 * og: tags or <title> read. The image is only named (`imageUrl`) here: a client must not
 * hot-link it; the server fetches it through the same guard (link-preview.image.ts).
 */
export async function fetchLinkPreview(
  url: string,
  limits: LinkPreviewLimits,
  testHooks: Pick<SafeFetchOptions, 'resolve' | 'allowAddress' | 'ca'> = {},
): Promise<PagePreview & { url: string }> {
  const page = await safeGet(url, {
    allowHttp: limits.allowHttp,
    maxBytes: limits.maxHtmlBytes,
    truncate: true,
    timeoutMs: limits.timeoutMs,
    maxRedirects: 3,
    accept: (t) => HTML.has(t),
    ...testHooks,
  });
  const preview = parsePage(decodePage(page.body, page.charset), page.url);
  return { ...preview, url: page.url.toString() };
}
