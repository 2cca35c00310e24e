/**
 * The in-app path a scanned or pasted MyChat link opens: `/add/<user id>` or
 * `/join/<invite token>` on this app's origin; undefined for anything else (another site,
 * another path), so a QR code cannot send the app anywhere it would not go by itself.
 */
export function appPathOf(text: string, origin: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return undefined;
  }
  if (url.origin !== origin) return undefined;
  const p = url.pathname;
  // A user id (digits, at most 19) or an invite token.
  const ok = /^\/add\/[1-9][0-9]*$/.test(p) ? p.length <= 24 : /^\/join\/[A-Za-z0-9_%-]{8,200}$/.test(p);
  return ok ? p : undefined;
}
