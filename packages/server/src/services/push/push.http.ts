import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { PinnedEndpoint } from './push.address.js';

/** What a push service answered: the status, and at most the first KiB of the body (logs). */
export interface PushAnswer {
  status: number;
  body: string;
}

export interface PinnedPostOptions {
  timeoutMs: number;
  /** Extra trusted CA certificates (push.caFile), PEM. */
  ca?: string;
  agent?: https.Agent;
}

/** Most bytes of an answer read; the rest is dropped with the connection. */
const MAX_ANSWER_BYTES = 4096;

/**
 * POSTs to a checked endpoint, connecting to the address that was checked: the lookup the
 * socket uses returns that address whatever DNS says now. TLS still verifies the URL's host
 * name (SNI and certificate). Redirects are not followed (a 3xx is a failure), the answer is
 * cut at 4 KiB and the whole exchange at `timeoutMs`.
 */
export function postPinned(
  target: PinnedEndpoint,
  headers: Record<string, string | number>,
  body: Uint8Array | null,
  o: PinnedPostOptions,
): Promise<PushAnswer> {
  const pinned: LookupFunction = (_host, opts, cb) => {
    if ((opts as { all?: boolean }).all)
      (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [
        { address: target.address, family: target.family },
      ]);
    else cb(null, target.address, target.family);
  };
  const host = target.url.hostname.replace(/^\[(.*)\]$/, '$1');
  return new Promise<PushAnswer>((resolve, reject) => {
    const req = https.request(
      {
        protocol: 'https:',
        hostname: host,
        // SNI takes names only; the certificate is still checked against an IP literal.
        ...(!isIP(host) && { servername: host }),
        port: target.url.port || 443,
        path: `${target.url.pathname}${target.url.search}`,
        method: 'POST',
        headers,
        lookup: pinned,
        agent: o.agent,
        ...(o.ca && { ca: o.ca }),
        signal: AbortSignal.timeout(o.timeoutMs),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size >= MAX_ANSWER_BYTES) return;
          chunks.push(c);
          size += c.length;
          if (size >= MAX_ANSWER_BYTES) res.destroy();
        });
        const done = () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).subarray(0, 1024).toString('utf8'),
          });
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      },
    );
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}
