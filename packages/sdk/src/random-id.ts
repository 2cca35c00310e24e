/** 24 random hex digits: a device id, or an id of the client's own (idempotent retries). */
export function randomId(): string {
  const b = new Uint8Array(12);
  globalThis.crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
