import type { ProxyTrust } from '../../http/proxy-trust.js';
import { inDataDir } from '../../kernel/config.js';
import { type media } from '@mychat/protocol';
import type { Logger } from 'pino';
import type { BlobStore } from '../../adapters/blob/blob.js';
import type { Kv } from '../../adapters/kv/kv.js';
import type { HttpServer } from '../../http/http-server.js';
import type { Client } from '@connectrpc/connect';
import type { AccessTokens } from '../../adapters/tokens/access-tokens.js';
import type { SessionRevocations } from '../../contracts/sessions.js';
import { AVATAR_PATH } from '../../contracts/avatars.js';
import { avatarRoute } from './media-avatar.js';
import { downloadRoute } from './media-download.js';
import { mediaAuthenticator } from './media-http.js';
import { TUS_PATH, tusRoute } from './media-tus.js';
import { uploadRoute } from './media-upload.js';

export interface MediaRoutesOptions {
  http: HttpServer;
  /** The media service's internal API (upload checks and finishing). */
  media: Client<typeof media.MediaInternalService>;
  blob: BlobStore;
  kv: Kv;
  tokens: AccessTokens;
  revocations: SessionRevocations;
  logger: Logger;
  dataDir: string;
  proxies: ProxyTrust;
  timeoutMs: number;
  config: {
    smallUploadMaxBytes: number;
    maxFileBytes: number;
    maxVideoBytes: number;
    resumableExpiryHours: number;
    resumableDir: string;
  };
}

/**
 * The gateway's HTTP media routes (bytes do not travel over Connect): one-request uploads,
 * tus resumable uploads, and, for the disk blob store, the signed download URLs.
 */
export function mountMediaRoutes(o: MediaRoutesOptions): { stop(): void } {
  const auth = mediaAuthenticator(o);
  // Finishing an upload hashes, checks and processes it (a voice transcode, a video's poster).
  const timeoutMs = Math.max(o.timeoutMs, 300_000);
  const internal = o.media;
  const logger = o.logger.child({ route: 'media' });
  o.http.mount(
    '/media/v1/upload',
    uploadRoute({
      auth,
      internal,
      blob: o.blob,
      logger,
      maxBytes: o.config.smallUploadMaxBytes,
      timeoutMs,
    }),
  );
  const tus = tusRoute({
    auth,
    internal,
    blob: o.blob,
    kv: o.kv,
    logger,
    dir: inDataDir(o.dataDir, o.config.resumableDir),
    maxBytes: Math.max(o.config.maxFileBytes, o.config.maxVideoBytes),
    expiryHours: o.config.resumableExpiryHours,
    timeoutMs,
  });
  o.http.mount(TUS_PATH, (req, res) => tus.handle(req, res));
  o.http.mount(
    AVATAR_PATH,
    avatarRoute({ internal, requestId: (req) => auth.requestId(req), logger, timeoutMs: o.timeoutMs }),
  );
  if (o.blob.verifier)
    o.http.mount(o.blob.verifier.prefix, downloadRoute({ blob: o.blob, verifier: o.blob.verifier, logger }));
  const sweep = setInterval(
    () => void tus.cleanup().catch((err: unknown) => logger.warn({ err }, 'expired upload cleanup failed')),
    3_600_000,
  );
  sweep.unref();
  return { stop: () => clearInterval(sweep) };
}
