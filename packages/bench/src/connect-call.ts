/**
 * One Connect unary call in binary protobuf over fetch, with a bearer token: what a client
 * does for the RPCs that have no socket frame (moments), without a full SDK client per user.
 */
import {
  create,
  fromBinary,
  toBinary,
  type DescMethodUnary,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
import http from 'node:http';
import { gunzipSync } from 'node:zlib';

export async function unary<I extends DescMethodUnary>(
  baseUrl: string,
  method: I,
  request: MessageInitShape<I['input']>,
  accessToken: string,
): Promise<MessageShape<I['output']>> {
  const res = await fetch(`${baseUrl}/${method.parent.typeName}/${method.name}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/proto',
      'connect-protocol-version': '1',
      authorization: `Bearer ${accessToken}`,
    },
    body: toBinary(method.input, create(method.input, request)),
    // A server that stops answering ends the run with errors instead of hanging it.
    signal: AbortSignal.timeout(30_000),
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (!res.ok) {
    let reason = '';
    try {
      reason = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { message?: string }).message ?? '';
    } catch {
      reason = `HTTP ${res.status}`;
    }
    throw new Error(`${method.name}: ${reason || `HTTP ${res.status}`}`);
  }
  return fromBinary(method.output, bytes) as MessageShape<I['output']>;
}

const keepAlive = new http.Agent({ keepAlive: true });

/**
 * {@link unary} over `node:http` with kept-alive connections instead of fetch: the same request
 * and answer bytes (gzip asked for and undone, as a browser does), at a fraction of fetch's CPU
 * in the generator, which shares the machine's cores with the server it measures.
 */
export function unaryHttp<I extends DescMethodUnary>(
  baseUrl: string,
  method: I,
  request: MessageInitShape<I['input']>,
  accessToken: string,
): Promise<MessageShape<I['output']>> {
  const body = toBinary(method.input, create(method.input, request));
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${baseUrl}/${method.parent.typeName}/${method.name}`,
      {
        method: 'POST',
        agent: keepAlive,
        timeout: 30_000,
        headers: {
          'content-type': 'application/proto',
          'connect-protocol-version': '1',
          'accept-encoding': 'gzip',
          'content-length': body.byteLength,
          authorization: `Bearer ${accessToken}`,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          try {
            const raw = Buffer.concat(chunks);
            const bytes = res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
            if (res.statusCode !== 200) {
              let reason = `HTTP ${res.statusCode}`;
              try {
                reason = (JSON.parse(bytes.toString('utf8')) as { message?: string }).message || reason;
              } catch {
                // not Connect's JSON error: the status says it
              }
              return reject(new Error(`${method.name}: ${reason}`));
            }
            resolve(fromBinary(method.output, bytes) as MessageShape<I['output']>);
          } catch (e) {
            reject(e as Error);
          }
        });
      },
    );
    // A server that stops answering ends the run with errors instead of hanging it.
    req.on('timeout', () => req.destroy(new Error(`${method.name}: no answer in 30 s`)));
    req.on('error', reject);
    req.end(body);
  });
}
