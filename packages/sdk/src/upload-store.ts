/**
 * Where unfinished resumable uploads are remembered: the upload's URL on the server, keyed by a
 * fingerprint of the file (who uploads it, its name, size, type, and a hash of its first and
 * last bytes). With a persistent store (the web client keeps it in localStorage) an upload
 * interrupted by a reload or a crash resumes where the server left off instead of starting over.
 */
export interface UploadStore {
  get(fingerprint: string): Promise<string | undefined>;
  set(fingerprint: string, uploadUrl: string): Promise<void>;
  remove(fingerprint: string): Promise<void>;
}

/** The default UploadStore: resumes across dropped connections within one process only. */
export class MemoryUploadStore implements UploadStore {
  private readonly urls = new Map<string, string>();

  async get(fingerprint: string): Promise<string | undefined> {
    return this.urls.get(fingerprint);
  }
  async set(fingerprint: string, uploadUrl: string): Promise<void> {
    this.urls.set(fingerprint, uploadUrl);
  }
  async remove(fingerprint: string): Promise<void> {
    this.urls.delete(fingerprint);
  }
  /** How many uploads are remembered (for tests and diagnostics). */
  get size(): number {
    return this.urls.size;
  }
}

const EDGE_BYTES = 64 * 1024;

/**
 * A file's fingerprint for the UploadStore. Hashing only the first and last 64 KiB keeps it
 * cheap for gigabyte videos; name, size and type make an accidental match unlikely, and the
 * server still checks the whole file's bytes when the upload finishes.
 */
export async function fingerprint(userId: string, blob: Blob, name: string): Promise<string> {
  const parts = [userId, name, String(blob.size), blob.type];
  const modified = (blob as Partial<File>).lastModified;
  if (typeof modified === 'number') parts.push(String(modified));
  const subtle = globalThis.crypto?.subtle as SubtleCrypto | undefined;
  if (subtle) {
    const head = new Uint8Array(await blob.slice(0, EDGE_BYTES).arrayBuffer());
    const tail = new Uint8Array(await blob.slice(Math.max(0, blob.size - EDGE_BYTES)).arrayBuffer());
    const both = new Uint8Array(head.length + tail.length);
    both.set(head);
    both.set(tail, head.length);
    const digest = new Uint8Array(await subtle.digest('SHA-256', both));
    parts.push(Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join(''));
  }
  return `mychat-upload:${parts.map(encodeURIComponent).join(':')}`;
}
