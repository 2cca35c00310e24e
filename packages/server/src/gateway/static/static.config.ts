import { fileURLToPath } from 'node:url';
import { cfg } from '../../kernel/config.js';

/**
 * The built web app the gateway serves at `/` (`web.*`, MYCHAT_WEB_*). From src/ or dist/ of
 * the server package, four levels up is packages/, so the default finds packages/web/dist when
 * the server runs from the repository.
 */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../../../web/dist', import.meta.url));

export const webConfigSchema = cfg.group({
  /** Serve the web app at `/` (turn off when a CDN or nginx serves it). */
  enabled: cfg.bool(true),
  /** The built app (`npm run build` writes packages/web/dist); relative paths are from the working directory. */
  dir: cfg.str(DEFAULT_WEB_DIR),
  /**
   * Origins besides this server's that the app may load images, voice and video from and
   * upload to (Content-Security-Policy), e.g. `https://files.example.com` when files are
   * served straight from S3 or a CDN. Empty: everything comes from this server.
   */
  mediaOrigins: cfg.list([]),
});
