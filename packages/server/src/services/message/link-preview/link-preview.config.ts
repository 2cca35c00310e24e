import { cfg } from '../../../kernel/config.js';
import { cidrList } from '../../../kernel/public-address.js';

/** Link previews fetched by the server (`linkPreview.*`, MYCHAT_LINK_PREVIEW_*), run by the message module. */
export const linkPreviewConfigSchema = cfg.group({
  /** Off: no page is ever fetched and messages carry no preview. */
  enabled: cfg.bool(true),
  /** Fetch plain http links too (port 80); off: https only. */
  allowHttp: cfg.bool(false),
  /** The whole fetch (DNS, connecting, up to 3 redirects, the page), ms. */
  timeoutMs: cfg.int(5000, 200, 30_000),
  /** HTML read at most per page, bytes (the head of a page is all a preview needs). */
  maxHtmlBytes: cfg.int(512 * 1024, 4096, 8 * 1024 * 1024),
  /** How long a fetched preview is shared by every message linking the page, seconds (a failure: 10 minutes at most). */
  cacheTtlSeconds: cfg.int(86_400, 0, 30 * 86_400),
  /** Pages fetched at once per process; links beyond it get no preview. */
  concurrency: cfg.int(8, 1, 256),
  /**
   * Addresses or CIDR blocks that links may resolve to although they are not public (an
   * intranet site, or a test's server; any port). Empty: public addresses only, https on 443.
   */
  allowedPrivateAddresses: cidrList(),
  /** Extra CA certificates (PEM) trusted for previewed sites, relative to dataDir. */
  caFile: cfg.optStr(),
});

export type LinkPreviewConfig = ReturnType<(typeof linkPreviewConfigSchema)['parse']>;
