import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A self-signed certificate and its key (PEM files in a fresh temporary folder). */
export interface SelfSignedCert {
  dir: string;
  keyFile: string;
  certFile: string;
}

/**
 * Makes a P-256 self-signed certificate with openssl, valid for two days: for the HTTPS servers
 * the tests and the benchmark run on loopback (a push service, web pages to preview).
 * `altNames` is openssl's subjectAltName value, e.g. `IP:127.0.0.1,DNS:push.test`.
 */
export function selfSignedCert(prefix: string, commonName: string, altNames?: string): SelfSignedCert {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      `/CN=${commonName}`,
      ...(altNames ? ['-addext', `subjectAltName=${altNames}`] : []),
    ],
    { stdio: 'ignore' },
  );
  return { dir, keyFile, certFile };
}
