import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { toJson } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import { media } from '@mychat/protocol';
import type { Logger } from 'pino';
import type { BlobStore } from '../../adapters/blob/blob.js';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import { parseId } from '../../kernel/ids.js';
import { onBehalfOf, parseKind, sendError, sendJson, type mediaAuthenticator } from './media-http.js';

export interface UploadRouteOptions {
  auth: ReturnType<typeof mediaAuthenticator>;
  internal: Client<typeof media.MediaInternalService>;
  blob: BlobStore;
  logger: Logger;
  /** Largest body accepted in one request. */
  maxBytes: number;
  timeoutMs: number;
}

/**
 * `POST /media/v1/upload?kind=image&name=cat.jpg[&folder=<id>]` with the file as the body
 * and a bearer token: small files in one request. The declared length is checked against
 * the limits and quota before a byte is read; the body goes to a temp file (counted, cut at
 * the limit), then to the blob store's staging area, and the media service turns it into a
 * file. A request cut off halfway leaves nothing behind and never becomes a file.
 */
export function uploadRoute(o: UploadRouteOptions) {
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const requestId = o.auth.requestId(req);
    let tmp: string | undefined;
    try {
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'POST' }).end();
        return;
      }
      const call = await o.auth.authenticate(req, requestId);
      const q = new URL(req.url ?? '/', 'http://x').searchParams;
      const kind = parseKind(q.get('kind'));
      const folder = q.get('folder') ?? '';
      if (folder !== '' && folder !== 'root') parseId(folder, 'folder');
      const declared =
        req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
      if (declared !== undefined) {
        if (!Number.isSafeInteger(declared) || declared <= 0)
          throw errors.invalidArgument('the body is empty', 'file');
        if (declared > o.maxBytes) throw tooLarge(o.maxBytes);
      }
      // Rate, limits and quota before reading: a refused upload costs the client no transfer. A
      // chunked body of unknown length counts as one byte here and is checked again at its real
      // size when it is finalized.
      await o.internal.checkUpload(
        { ownerId: call.caller.userId, kind, size: String(declared ?? 1) },
        onBehalfOf(call, o.timeoutMs),
      );
      tmp = path.join(os.tmpdir(), `mychat-upload-${randomUUID()}`);
      let received = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          received += chunk.length;
          cb(received > o.maxBytes ? tooLarge(o.maxBytes) : null, chunk);
        },
      });
      await pipeline(req, counter, fs.createWriteStream(tmp, { mode: 0o600 }));
      if (declared !== undefined && received !== declared)
        throw errors.invalidArgument('the body ended before its declared length', 'file');
      const uploadId = randomUUID().replaceAll('-', '');
      const stagingKey = `staging/${uploadId}`;
      await o.blob.put(stagingKey, { file: tmp });
      const { media: m } = await o.internal.finalizeUpload(
        {
          ownerId: call.caller.userId,
          kind,
          stagingKey,
          name: q.get('name') ?? '',
          uploadId,
          folderId: folder,
        },
        onBehalfOf(call, o.timeoutMs),
      );
      sendJson(res, 201, { media: toJson(media.MediaSchema, m!) }, { 'x-request-id': requestId });
    } catch (err) {
      if (!req.complete && (req.destroyed || req.readableAborted) && !tooBig(err)) {
        // The client went away mid-body: nothing to answer, nothing kept.
        o.logger.debug({ request_id: requestId }, 'upload cut off');
        res.destroy();
      } else {
        // A refused body is not read to its end: the connection closes after the answer.
        if (!req.readableEnded && !res.headersSent) res.setHeader('connection', 'close');
        sendError(res, err, requestId, o.logger);
      }
    } finally {
      if (tmp) await fsp.rm(tmp, { force: true });
    }
  };
}

const tooBig = (err: unknown) => err instanceof AppError && err.code === ErrorCode.PAYLOAD_TOO_LARGE;

const tooLarge = (max: number) =>
  new AppError(
    ErrorCode.PAYLOAD_TOO_LARGE,
    `one-request uploads are at most ${max} bytes; use the resumable upload (tus)`,
    { field: 'file' },
  );
