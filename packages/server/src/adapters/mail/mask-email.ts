/**
 * Masks an email address for logs: `alice@example.com` -> `a***@example.com`.
 * The domain stays (it helps with delivery questions); the local part keeps only its
 * first character, and the fixed `***` hides its length.
 */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${address.slice(0, 1)}***${address.slice(at)}`;
}
