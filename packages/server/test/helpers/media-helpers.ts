import http from 'node:http';
import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import { media } from '@mychat/protocol';

/** An HTTP answer with its body. */
export interface Answer {
  status: number;
  headers: Headers;
  body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

async function answer(res: Response): Promise<Answer> {
  const body = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    headers: res.headers,
    body,
    json: <T>() => JSON.parse(body.toString('utf8')) as T,
  };
}

/** `POST /media/v1/upload` with a bearer token. */
export async function upload(
  baseUrl: string,
  token: string | undefined,
  kind: string,
  bytes: Buffer,
  name = 'file.bin',
  extra: Record<string, string> = {},
): Promise<Answer> {
  const q = new URLSearchParams({ kind, name, ...extra });
  return answer(
    await fetch(`${baseUrl}/media/v1/upload?${q}`, {
      method: 'POST',
      body: bytes,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    }),
  );
}

/** Uploads and returns the media (throws unless 201). */
export async function uploadOk(baseUrl: string, token: string, kind: string, bytes: Buffer, name?: string) {
  const r = await upload(baseUrl, token, kind, bytes, name);
  if (r.status !== 201) throw new Error(`upload failed: ${r.status} ${r.body.toString()}`);
  return fromJson(media.MediaSchema, r.json<{ media: JsonValue }>().media);
}

/** GET with optional headers. */
export async function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  return answer(await fetch(url, { headers }));
}

/** Raw tus request (fetch). */
export async function tus(
  url: string,
  method: string,
  token: string | undefined,
  headers: Record<string, string> = {},
  body?: Buffer,
): Promise<Answer> {
  return answer(
    await fetch(url, {
      method,
      headers: { 'tus-resumable': '1.0.0', ...(token && { authorization: `Bearer ${token}` }), ...headers },
      ...(body && { body }),
    }),
  );
}

/** tus Upload-Metadata: `key base64,key base64`. */
export const tusMetadata = (m: Record<string, string>) =>
  Object.entries(m)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');

/**
 * Starts a request whose body is `bytes` but sends only the first `sendBytes` of them, then
 * cuts the connection, as a phone that loses its network mid-upload does.
 */
export function cutOff(
  url: string,
  method: string,
  headers: Record<string, string>,
  bytes: Buffer,
  sendBytes: number,
): Promise<void> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const req = http.request({
      host: u.hostname,
      port: u.port,
      path: u.pathname + u.search,
      method,
      headers: { ...headers, 'content-length': String(bytes.length) },
    });
    req.on('error', () => resolve());
    req.on('response', (res) => {
      res.resume();
      resolve();
    });
    req.write(bytes.subarray(0, sendBytes), () => {
      // Give the server a moment to take the bytes, then drop the connection.
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 150);
    });
  });
}
