/**
 * `size` bytes from Node's pool of small buffers (slices of one shared block for sizes
 * under half its 8 KiB: no ArrayBuffer of their own to allocate, track and free), as a
 * plain Uint8Array. For the short-lived bytes of every message (frames, bus copies); a
 * slice keeps its whole block alive while it lives, so not for what is kept long.
 */
export function pooledBytes(size: number): Uint8Array {
  const b = Buffer.allocUnsafe(size);
  return new Uint8Array(b.buffer, b.byteOffset, size);
}

/** A copy of `bytes` in {@link pooledBytes}. */
export function pooledCopy(bytes: Uint8Array): Uint8Array {
  const out = pooledBytes(bytes.length);
  out.set(bytes);
  return out;
}
