import { sleep } from './backoff.js';
import { MyChatError } from './errors.js';
import { cancelled, errorFromResponse, fetchFailure, type MediaHttp } from './media-http.js';
import type { UploadStore } from './upload-store.js';

/** The tus resource uploads are created under (see docs/protocol.md, section 8.1). */
export const TUS_PATH = '/media/v1/tus/';

export interface TusUploadInput {
  http: MediaHttp;
  store: UploadStore;
  fingerprint: string;
  blob: Blob;
  metadata: Record<string, string>;
  chunkBytes: number;
  /** Waits between attempts after a dropped connection; its length is how many retries. */
  retryDelaysMs: readonly number[];
  onProgress?: (sent: number, total: number) => void;
  signal?: AbortSignal;
}

const base64 = (s: string) => {
  let bin = '';
  for (const b of new TextEncoder().encode(s)) bin += String.fromCharCode(b);
  return btoa(bin);
};

/**
 * A tus 1.0 client (core, creation, termination) on fetch, so the same code runs in browsers
 * and Node. Bytes go in PATCH requests of `chunkBytes`; after each one the offset is known,
 * so progress is reported and a dropped connection costs at most one chunk: the client asks
 * the server for the offset (HEAD) and goes on from there. The upload's URL is kept in the
 * UploadStore until it finishes, so a new process resumes it too. Cancelling (AbortSignal)
 * deletes the upload on the server. Resolves with the new file's media id.
 */
export async function tusUpload(o: TusUploadInput): Promise<string> {
  const total = o.blob.size;
  const { http } = o;
  const headers = async (extra: Record<string, string> = {}) => ({
    'tus-resumable': '1.0.0',
    authorization: `Bearer ${await http.token()}`,
    ...extra,
  });
  const send = async (url: string, init: RequestInit): Promise<Response> => {
    try {
      return await http.fetch(url, { ...init, ...(o.signal && { signal: o.signal }) });
    } catch (err) {
      throw fetchFailure(err, o.signal);
    }
  };
  /** The server's offset for the upload; or its media id when it is finished; or gone. */
  const head = async (url: string) => {
    const res = await send(url, { method: 'HEAD', headers: await headers(), cache: 'no-store' });
    if (res.status === 404 || res.status === 410 || res.status === 403) return { gone: true as const };
    if (!res.ok) throw await errorFromResponse(res);
    const mediaId = res.headers.get('x-media-id') ?? undefined;
    return { gone: false as const, offset: Number(res.headers.get('upload-offset') ?? 0), mediaId };
  };

  let url = await o.store.get(o.fingerprint);
  let offset = 0;
  try {
    o.signal?.throwIfAborted();
    if (url) {
      const h = await head(url);
      if (h.gone) {
        await o.store.remove(o.fingerprint);
        url = undefined;
      } else if (h.mediaId) {
        await o.store.remove(o.fingerprint);
        o.onProgress?.(total, total);
        return h.mediaId;
      } else offset = h.offset;
    }
    if (!url) {
      const res = await send(new URL(TUS_PATH, http.baseUrl + '/').toString(), {
        method: 'POST',
        headers: await headers({
          'upload-length': String(total),
          'upload-metadata': Object.entries(o.metadata)
            .map(([k, v]) => `${k} ${base64(v)}`)
            .join(','),
        }),
      });
      if (res.status !== 201) throw await errorFromResponse(res);
      const location = res.headers.get('location');
      if (!location) throw new MyChatError('the server gave no upload location', 'PROTOCOL');
      url = new URL(location, new URL(TUS_PATH, http.baseUrl + '/')).toString();
      await o.store.set(o.fingerprint, url);
    }
    o.onProgress?.(offset, total);

    let failures = 0;
    for (;;) {
      const end = Math.min(total, offset + o.chunkBytes);
      let res: Response;
      try {
        res = await send(url, {
          method: 'PATCH',
          headers: await headers({
            'upload-offset': String(offset),
            'content-type': 'application/offset+octet-stream',
          }),
          body: o.blob.slice(offset, end),
        });
      } catch (err) {
        if ((err as MyChatError).reason !== 'NETWORK' || failures >= o.retryDelaysMs.length) throw err;
        // The connection dropped mid-chunk: the server kept what arrived; ask where to go on.
        await sleep(o.retryDelaysMs[failures++]!);
        const h = await head(url);
        if (h.gone) throw new MyChatError('the upload expired on the server', 'NOT_FOUND');
        if (h.mediaId) return finished(h.mediaId);
        offset = h.offset;
        o.onProgress?.(offset, total);
        continue;
      }
      if (res.status === 409) {
        // Our offset and the server's disagree (a chunk landed but its answer was lost).
        await res.body?.cancel();
        const h = await head(url);
        if (h.gone) throw new MyChatError('the upload expired on the server', 'NOT_FOUND');
        if (h.mediaId) return finished(h.mediaId);
        offset = h.offset;
        continue;
      }
      if (!res.ok) {
        const err = await errorFromResponse(res);
        // A refusal (wrong type, over quota) will not go better next time.
        await o.store.remove(o.fingerprint);
        throw err;
      }
      await res.body?.cancel();
      failures = 0;
      offset = Number(res.headers.get('upload-offset') ?? end);
      o.onProgress?.(offset, total);
      const mediaId = res.headers.get('x-media-id');
      if (mediaId) return finished(mediaId);
      if (offset >= total) {
        // The last chunk's answer did not name the file; HEAD does once it is finished.
        const h = await head(url);
        if (h.gone || !h.mediaId) throw new MyChatError('the server did not finish the upload', 'PROTOCOL');
        return finished(h.mediaId);
      }
    }
  } catch (err) {
    if (o.signal?.aborted && url) await terminate(url);
    throw o.signal?.aborted ? cancelled(err) : err;
  }

  async function finished(mediaId: string) {
    await o.store.remove(o.fingerprint);
    return mediaId;
  }

  /** Cancelled: delete the partial upload on the server (termination) and forget it. */
  async function terminate(uploadUrl: string) {
    await o.store.remove(o.fingerprint);
    try {
      const res = await http.fetch(uploadUrl, { method: 'DELETE', headers: await headers() });
      await res.body?.cancel();
    } catch {
      // unreachable now: the server deletes unfinished uploads when they expire
    }
  }
}
