/** The connection settings read from an SMTP URL. */
export interface SmtpSettings {
  host: string;
  port: number;
  /** Implicit TLS from the first byte (`smtps://`). */
  secure: boolean;
  /** Never upgrade with STARTTLS, even when offered (`?ignoreTLS=true`). */
  ignoreTLS: boolean;
  /** Fail unless STARTTLS succeeds (`?requireTLS=true`). */
  requireTLS: boolean;
  auth?: { user: string; pass: string };
}

const FLAGS = ['ignoreTLS', 'requireTLS'] as const;

function readFlag(params: URLSearchParams, name: string): boolean {
  const value = params.get(name);
  if (value === null) return false;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new Error(`mail SMTP URL: ${name} must be true or false`);
}

/**
 * Reads `smtp://user:pass@host:port` or `smtps://user:pass@host:port`.
 *
 * - `smtps://` uses implicit TLS (default port 465).
 * - `smtp://` (default port 587) upgrades with STARTTLS whenever the server offers it,
 *   verifying the certificate; add `?requireTLS=true` to refuse a plaintext session, or
 *   `?ignoreTLS=true` for a local relay that offers STARTTLS with a certificate nobody can verify.
 * - User and password are percent-decoded, so `p%40ss` is `p@ss`.
 *
 * Error messages never repeat the URL, because it holds the password.
 */
export function parseSmtpUrl(url: string): SmtpSettings {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // URL's own error carries the input, password and all: do not chain it
    throw new Error('mail SMTP URL is not a valid URL (expected smtp://user:pass@host:port or smtps://...)');
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') {
    throw new Error(`mail SMTP URL must start with smtp:// or smtps://, not ${u.protocol}//`);
  }
  if (!u.hostname) throw new Error('mail SMTP URL has no host');
  for (const key of u.searchParams.keys()) {
    if (!(FLAGS as readonly string[]).includes(key)) {
      throw new Error(`mail SMTP URL: unknown option ${key} (known: ${FLAGS.join(', ')})`);
    }
  }
  const secure = u.protocol === 'smtps:';
  const settings: SmtpSettings = {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    ignoreTLS: readFlag(u.searchParams, 'ignoreTLS'),
    requireTLS: readFlag(u.searchParams, 'requireTLS'),
  };
  if (settings.ignoreTLS && settings.requireTLS) {
    throw new Error('mail SMTP URL: ignoreTLS and requireTLS contradict each other');
  }
  if (u.username) {
    settings.auth = { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) };
  }
  return settings;
}
