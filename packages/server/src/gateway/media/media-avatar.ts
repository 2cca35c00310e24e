import type http from 'node:http';
import type { Client } from '@connectrpc/connect';
import type { media } from '@mychat/protocol';
import type { Logger } from 'pino';
import { parseAvatarPath } from '../../contracts/avatars.js';
import { sendError, sendJson } from './media-http.js';

/**
 * `GET /media/v1/avatar/<holder>/<file>`: a person's or a group's profile picture, without
 * signing in (pictures are public, as in WeChat; an `<img>` carries no bearer token). The
 * media service signs a short-lived URL only for a file that holder holds as its picture,
 * so the path reaches no other file; the answer is a redirect a browser may cache for a
 * while shorter than the URL lives.
 */
export function avatarRoute(o: {
  internal: Pick<Client<typeof media.MediaInternalService>, 'signAvatarUrl'>;
  requestId: (req: http.IncomingMessage) => string;
  logger: Logger;
  timeoutMs: number;
}) {
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const requestId = o.requestId(req);
    const at = parseAvatarPath(new URL(req.url ?? '/', 'http://x').pathname);
    if (!at) return sendJson(res, 404, { reason: 'NOT_FOUND', message: 'no such picture' });
    try {
      const r = await o.internal.signAvatarUrl(at, { timeoutMs: o.timeoutMs });
      const left = Number(r.expiresAt?.seconds ?? 0n) - Math.floor(Date.now() / 1000);
      res.writeHead(302, {
        location: r.url,
        'cache-control': `public, max-age=${Math.max(0, Math.min(3600, Math.floor(left / 2)))}`,
        'x-request-id': requestId,
      });
      res.end();
    } catch (err) {
      sendError(res, err, requestId, o.logger);
    }
  };
}
