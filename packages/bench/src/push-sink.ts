import { selfSignedCert } from '@mychat/server/dev/cluster';
import { createECDH, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

/** A self-signed certificate for 127.0.0.1, made once per run with openssl. */
export interface SinkCert {
  dir: string;
  certFile: string;
  keyFile: string;
}

export function makeSinkCert(): SinkCert {
  return selfSignedCert('mychat-push-sink-', '127.0.0.1', 'IP:127.0.0.1');
}

/** The server settings that let it push to the sink (a push service on loopback, our CA). */
export const sinkServerEnv = (cert: SinkCert): Record<string, string> => ({
  MYCHAT_PUSH_ALLOWED_PRIVATE_ENDPOINTS: '127.0.0.1/32',
  MYCHAT_PUSH_CA_FILE: cert.certFile,
  // Each message of the run is its own burst, and no user hits the per-minute cap.
  MYCHAT_PUSH_COALESCE_SECONDS: '1',
  MYCHAT_PUSH_PER_USER_PER_MINUTE: '10000',
});

/**
 * A push service for the benchmark: HTTPS on loopback, answers 201 at once and records when
 * each push arrived (payloads stay encrypted: decrypting would cost the generator, not the server).
 */
export interface PushSink {
  origin: string;
  /** Arrival times (performance.now()) of every push, in order. */
  arrivals: number[];
  /** A browser-like subscription (one key pair, a fresh endpoint each). */
  subscription(): { endpoint: string; p256dh: string; auth: string };
  stop(): Promise<void>;
}

export async function startPushSink(cert: SinkCert): Promise<PushSink> {
  const arrivals: number[] = [];
  const server = https.createServer(
    { key: fs.readFileSync(cert.keyFile), cert: fs.readFileSync(cert.certFile) },
    (req, res) => {
      req.resume();
      req.on('end', () => {
        arrivals.push(performance.now());
        res.writeHead(201).end();
      });
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const p256dh = ecdh.getPublicKey().toString('base64url');
  return {
    origin,
    arrivals,
    subscription: () => ({
      endpoint: `${origin}/p/${randomBytes(9).toString('base64url')}`,
      p256dh,
      auth: randomBytes(16).toString('base64url'),
    }),
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      fs.rmSync(cert.dir, { recursive: true, force: true });
    },
  };
}
