import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { toJson } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import { FileStore } from '@tus/file-store';
import { Server } from '@tus/server';
import { media } from '@mychat/protocol';
import type { Logger } from 'pino';
import type { BlobStore } from '../../adapters/blob/blob.js';
import type { Kv } from '../../adapters/kv/kv.js';
import { errors } from '../../kernel/errors.js';
import { parseId } from '../../kernel/ids.js';
import { cleanNameForMetadata } from './media-names.js';
import {
  httpError,
  onBehalfOf,
  parseKind,
  sendError,
  type MediaCall,
  type mediaAuthenticator,
} from './media-http.js';

/** The path tus uploads live under. */
export const TUS_PATH = '/media/v1/tus';

export interface TusRouteOptions {
  auth: ReturnType<typeof mediaAuthenticator>;
  internal: Client<typeof media.MediaInternalService>;
  blob: BlobStore;
  kv: Kv;
  logger: Logger;
  /** Where unfinished uploads are kept (survives a restart of the gateway). */
  dir: string;
  maxBytes: number;
  expiryHours: number;
  timeoutMs: number;
}

const UPLOAD_ID = /^[a-f0-9]{32}$/;
const doneKey = (id: string) => `media:tus-done:${id}`;

/** A tus request's node request (tus 2 hands its hooks a web Request wrapping it). */
const nodeReq = (r: unknown) =>
  (r as { runtime?: { node?: { req?: http.IncomingMessage } } }).runtime?.node?.req;

/**
 * Resumable uploads with the tus 1.0 protocol (creation, termination, expiration) at
 * `/media/v1/tus/`. Every request carries the bearer token; an upload belongs to the user
 * who created it (recorded server-side in its metadata) and nobody else can see, resume
 * or delete it. Chunks land in a file store on this gateway's disk, so an upload survives a
 * dropped connection and a gateway restart. When the last byte arrives, the file goes to
 * the blob store and the media service finishes it; the final PATCH answers with the file
 * (`X-Media-Id` and a JSON body), and a HEAD after that says the same.
 */
export function tusRoute(o: TusRouteOptions) {
  const callers = new WeakMap<http.IncomingMessage, MediaCall>();
  // The file store would create its folder 0755 and each upload 0644: half-sent files are as
  // private as finished ones.
  fs.mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const store = new FileStore({
    directory: o.dir,
    expirationPeriodInMilliseconds: o.expiryHours * 3_600_000,
  });
  const callOf = (r: unknown) => {
    const n = nodeReq(r);
    const c = n && callers.get(n);
    if (!c) throw { status_code: 401, body: 'unauthenticated\n' };
    return c;
  };
  const refuse = (err: unknown, requestId: string) => {
    const { status, body } = httpError(err, requestId);
    return { status_code: status, body: JSON.stringify(body) };
  };
  const tus = new Server({
    path: TUS_PATH,
    datastore: store,
    relativeLocation: true,
    // Locations are relative, so no host or scheme is ever needed; forwarded headers from
    // anyone (trusted or not) are not read.
    respectForwardedHeaders: false,
    maxSize: o.maxBytes,
    exposedHeaders: ['X-Media-Id'],
    namingFunction: () => randomUUID().replaceAll('-', ''),
    async onUploadCreate(req, upload) {
      const call = callOf(req);
      try {
        if (upload.sizeIsDeferred || !upload.size)
          throw errors.invalidArgument('Upload-Length is required', 'size');
        const kind = parseKind(upload.metadata?.kind);
        const folder = upload.metadata?.folder ?? '';
        if (folder !== '' && folder !== 'root') parseId(folder, 'folder');
        // Its declared length is held against the quota until it finishes, is deleted or expires.
        await o.internal.checkUpload(
          {
            ownerId: call.caller.userId,
            kind,
            size: String(upload.size),
            reserveUploadId: `tus-${upload.id}`,
          },
          onBehalfOf(call, o.timeoutMs),
        );
        // What the server trusts later is what it wrote here, never what a client sends.
        return {
          metadata: {
            kind: String(kind),
            filename: cleanNameForMetadata(upload.metadata?.filename ?? upload.metadata?.name ?? ''),
            folder,
            owner: call.caller.userId,
          },
        };
      } catch (err) {
        throw refuse(err, call.requestId);
      }
    },
    async onUploadFinish(req, upload) {
      const call = callOf(req);
      const stagingKey = `staging/tus-${upload.id}`;
      try {
        await o.blob.put(stagingKey, { file: path.join(o.dir, upload.id) });
        const { media: m } = await o.internal.finalizeUpload(
          {
            ownerId: call.caller.userId,
            kind: Number(upload.metadata?.kind),
            stagingKey,
            name: upload.metadata?.filename ?? '',
            uploadId: `tus-${upload.id}`,
            folderId: upload.metadata?.folder ?? '',
          },
          onBehalfOf(call, o.timeoutMs),
        );
        await o.kv.set(
          doneKey(upload.id),
          JSON.stringify({ owner: call.caller.userId, size: upload.size, mediaId: m!.id }),
          {
            ttlMs: o.expiryHours * 3_600_000,
          },
        );
        await store.remove(upload.id).catch(() => undefined);
        return {
          headers: { 'X-Media-Id': m!.id, 'Content-Type': 'application/json' },
          body: JSON.stringify({ media: toJson(media.MediaSchema, m!) }),
        };
      } catch (err) {
        // A refused file (wrong type, over quota) is not kept for a retry that cannot succeed.
        await store.remove(upload.id).catch(() => undefined);
        await o.internal
          .releaseUpload(
            { ownerId: call.caller.userId, uploadId: `tus-${upload.id}` },
            onBehalfOf(call, o.timeoutMs),
          )
          .catch(() => undefined);
        throw refuse(err, call.requestId);
      }
    },
  });

  tus.on('POST_CREATE', (_req: unknown, upload: { id: string }) => {
    for (const f of [upload.id, `${upload.id}.json`])
      fs.promises.chmod(path.join(o.dir, f), 0o600).catch((err: unknown) => {
        o.logger.warn({ err }, 'an unfinished upload could not be made private');
      });
  });

  return {
    /** Deletes unfinished uploads past their expiry. */
    cleanup: () => store.deleteExpired(),
    async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
      const requestId = o.auth.requestId(req);
      try {
        if (req.method === 'OPTIONS') return await tus.handle(req, res);
        const call = await o.auth.authenticate(req, requestId);
        const id = (req.url ?? '').split('?')[0]!.slice(TUS_PATH.length + 1);
        if (req.method !== 'POST' || id) {
          if (!UPLOAD_ID.test(id)) throw errors.notFound('no such upload');
          if (await answerFinished(id, call, req, res)) return;
          const upload = await store.getUpload(id).catch(() => undefined);
          // Someone else's upload is indistinguishable from none.
          if (!upload || upload.metadata?.owner !== call.caller.userId)
            throw errors.notFound('no such upload');
        }
        callers.set(req, call);
        await tus.handle(req, res);
        if (req.method === 'DELETE' && res.statusCode === 204) {
          await o.internal
            .releaseUpload(
              { ownerId: call.caller.userId, uploadId: `tus-${id}` },
              onBehalfOf(call, o.timeoutMs),
            )
            .catch((err: unknown) => o.logger.warn({ err }, 'deleted upload not released; it expires'));
        }
      } catch (err) {
        sendError(res, err, requestId, o.logger);
      }
    },
  };

  /** A HEAD for an upload that already became a file: its length as the offset, and the file. */
  async function answerFinished(
    id: string,
    call: MediaCall,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ) {
    if (req.method !== 'HEAD') return false;
    const raw = await o.kv.get(doneKey(id));
    if (!raw) return false;
    const done = JSON.parse(raw) as { owner: string; size: number; mediaId: string };
    if (done.owner !== call.caller.userId) return false;
    res.writeHead(200, {
      'Tus-Resumable': '1.0.0',
      'Upload-Offset': String(done.size),
      'Upload-Length': String(done.size),
      'X-Media-Id': done.mediaId,
      'Cache-Control': 'no-store',
    });
    res.end();
    return true;
  }
}
