/**
 * The stored form of the opened bodies a device keeps (docs/security.md, section 3, item 5):
 * what binds a body to its message, the blocks that hold bodies together, and the index.
 */
import type { ChatMessage, Sealed } from './types.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Where a user's kept bodies live under a store: delete everything under it to forget them. */
export const OPENED_DIR = (userId: string) => `e2ee/${userId}/opened/`;

/** How much is kept: the oldest entries go first once either bound is passed. */
export interface OpenedLimits {
  entries: number;
  /** The kept records' bytes (each body with its binding). */
  bytes: number;
}
export const DEFAULT_OPENED_LIMITS: OpenedLimits = { entries: 10_000, bytes: 16 * 1024 * 1024 };

/** Throws a RangeError for a bound that keeps nothing (or is not a number). */
export function checkOpenedLimits(limits: Partial<OpenedLimits>): void {
  const { entries, bytes } = { ...DEFAULT_OPENED_LIMITS, ...limits };
  if (!(entries >= 1 && bytes >= 1))
    throw new RangeError('keep at least one entry and one byte of opened messages');
}

/** Bodies of seqs `n * BLOCK_SEQS .. (n + 1) * BLOCK_SEQS - 1` of a conversation share block n. */
export const BLOCK_SEQS = 64;
export const blockOf = (seq: number) => Math.floor(seq / BLOCK_SEQS);

/** Who reads: a kept body is bound to the wrappings this device can open. */
export interface Reader {
  userId: string;
  deviceId: string;
}

/**
 * Binds a body to the exact message it came from: the conversation, seq, sender, sending
 * device and every byte of the sealed message this device reads (ciphertext, nonce, ephemeral
 * key, and the wrappings it can open: its own and its account's backup key's). A message
 * changed in any of these since (another message under the seq, a changed byte) does not match:
 * it is opened from scratch, and a changed one is refused as tampered. Wrappings for other
 * devices are left out, so that the whole message and the one a history page carries for this
 * device (GetHistoryRequest.e2ee_device_id) bind alike. `v2`: an entry of its own, this is its
 * associated data; `v3`: the binding stored beside the body in its block, compared on read.
 */
export function bindingOf(m: ChatMessage, sealed: Sealed, reader: Reader, version: 'v2' | 'v3') {
  const head = enc.encode(
    `mychat-e2ee/local/${version}\n${m.conversationId}\n${m.seq}\n${m.senderId}\n${sealed.senderDeviceId}\n`,
  );
  const wraps = readable(sealed, reader).map((k) => ({ id: enc.encode(`${k.userId}\n${k.deviceId}\n`), k }));
  const parts = [sealed.ciphertext, sealed.nonce, sealed.ephemeralKey];
  let size = head.length;
  for (const p of parts) size += 4 + p.length;
  for (const w of wraps) size += w.id.length + 4 + w.k.wrapped.length;
  const w = new Writer(size);
  w.put(head);
  parts.forEach((p) => w.withLength(p));
  for (const x of wraps) {
    w.put(x.id);
    w.withLength(x.k.wrapped);
  }
  return w.out;
}

/**
 * The sealed message a record was kept from, for a message the server sent without its sealed
 * bytes (GetHistoryRequest.e2ee_kept): read back from the record's binding (v3, authenticated
 * with its block under the local key), and only when the binding's head (conversation, seq,
 * sender, sending device) and nonce are those of `elided`. Undefined otherwise.
 */
export function sealedFromRecord(r: BlockRecord, m: ChatMessage, elided: Sealed): Sealed | undefined {
  const b = r.binding;
  let at = startsWith(
    b,
    `mychat-e2ee/local/v3\n${m.conversationId}\n${m.seq}\n${m.senderId}\n${elided.senderDeviceId}\n`,
  );
  if (at < 0) return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const take = () => {
    const n = view.getUint32(at);
    if ((at += 4) + n > b.length) throw new RangeError('a damaged binding');
    return b.slice(at, (at += n));
  };
  const line = () => {
    const end = b.indexOf(10, at);
    if (end < 0) throw new RangeError('a damaged binding');
    return textOf(b, at, (at = end + 1) - 1);
  };
  try {
    const [ciphertext, nonce, ephemeralKey] = [take(), take(), take()];
    const keys: Sealed['keys'] = [];
    while (at < b.length) keys.push({ userId: line(), deviceId: line(), wrapped: take() });
    return same(nonce, elided.nonce) ? { ...elided, ciphertext, nonce, ephemeralKey, keys } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where `text` (UTF-8) ends when `b` starts with it, else -1. Ids are ASCII: compared a character
 * at a time, without encoding the text (a page makes 50 messages whole: this was a third of it).
 */
function startsWith(b: Uint8Array, text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) {
      const head = enc.encode(text);
      return same(b.subarray(0, head.length), head) ? head.length : -1;
    }
    if (b[i] !== c) return -1;
  }
  return text.length;
}

/** The UTF-8 text of `b[from, to)`; ASCII (ids) without a decoder call. */
function textOf(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) {
    if (b[i]! > 0x7f) return dec.decode(b.subarray(from, to));
    s += String.fromCharCode(b[i]!);
  }
  return s;
}

function same(a: Uint8Array, b: Uint8Array) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The wrappings a device can open: its own, and its account's backup key's. */
const readable = (sealed: Sealed, reader: Reader) =>
  sealed.keys.filter(
    (k) => k.userId === reader.userId && (k.deviceId === reader.deviceId || k.deviceId === 'backup'),
  );

class Writer {
  readonly out: Uint8Array;
  private readonly view: DataView;
  private at = 0;
  constructor(size: number) {
    this.out = new Uint8Array(size);
    this.view = new DataView(this.out.buffer);
  }
  put(u: Uint8Array) {
    this.out.set(u, this.at);
    this.at += u.length;
  }
  u32(n: number) {
    this.view.setUint32(this.at, n);
    this.at += 4;
  }
  f64(n: number) {
    this.view.setFloat64(this.at, n);
    this.at += 8;
  }
  withLength(u: Uint8Array) {
    this.u32(u.length);
    this.put(u);
  }
}

/** One body in a block: its seq, its message's binding (bindingOf, v3) and the body. */
export interface BlockRecord {
  seq: number;
  binding: Uint8Array;
  body: Uint8Array;
}

/** What a record adds to its block (and counts against the `bytes` bound). */
export const recordSize = (r: BlockRecord) => 16 + r.binding.length + r.body.length;

/** The associated data of a block: where it belongs (a block moved elsewhere does not open). */
export const blockAad = (conversationId: string, block: number) =>
  enc.encode(`mychat-e2ee/local/v3\n${conversationId}\n${block}\n`);

/** A block's plaintext: each record as seq (float64), binding and body (each length-prefixed). */
export function encodeBlock(records: Iterable<BlockRecord>): Uint8Array {
  const list = [...records];
  const w = new Writer(list.reduce((n, r) => n + recordSize(r), 0));
  for (const r of list) {
    w.f64(r.seq);
    w.withLength(r.binding);
    w.withLength(r.body);
  }
  return w.out;
}

/** The records of a block's plaintext by seq; throws on a damaged one. */
export function decodeBlock(plain: Uint8Array): Map<number, BlockRecord> {
  const view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
  const out = new Map<number, BlockRecord>();
  let at = 0;
  const take = () => {
    const n = view.getUint32(at);
    at += 4;
    if (at + n > plain.length) throw new RangeError('a damaged block');
    const u = plain.subarray(at, at + n);
    at += n;
    return u;
  };
  while (at < plain.length) {
    const seq = view.getFloat64(at);
    at += 8;
    const binding = take();
    out.set(seq, { seq, binding, body: take() });
  }
  return out;
}

/**
 * Entries oldest first (a Map keeps insertion order) with their sizes, and by conversation.
 * `inBlock`: kept in a block (v3); the others are entries of their own (v2, an older version).
 */
export interface Index {
  sizes: Map<string, number>;
  inBlock: Set<string>;
  bytes: number;
  byConv: Map<string, Set<number>>;
}

export const idOf = (m: { conversationId: string; seq: number }) => `${m.conversationId}/${m.seq}`;
export const splitId = (id: string) => {
  const cut = id.lastIndexOf('/');
  return { conversationId: id.slice(0, cut), seq: Number(id.slice(cut + 1)) };
};

export function addTo(ix: Index, id: string, size: number, inBlock: boolean) {
  removeFrom(ix, id);
  ix.sizes.set(id, size);
  if (inBlock) ix.inBlock.add(id);
  ix.bytes += size;
  const { conversationId, seq } = splitId(id);
  let seqs = ix.byConv.get(conversationId);
  if (!seqs) ix.byConv.set(conversationId, (seqs = new Set()));
  seqs.add(seq);
}

export function removeFrom(ix: Index, id: string): boolean {
  const size = ix.sizes.get(id);
  if (size === undefined) return false;
  ix.sizes.delete(id);
  ix.inBlock.delete(id);
  ix.bytes -= size;
  const { conversationId, seq } = splitId(id);
  const seqs = ix.byConv.get(conversationId);
  seqs?.delete(seq);
  if (seqs?.size === 0) ix.byConv.delete(conversationId);
  return true;
}

/**
 * Of a conversation's kept seqs, the run without a gap that ends at the newest one at most `top`
 * and reaches no lower than `top - limit + 1`; undefined when none is kept there.
 */
export function runOf(seqs: ReadonlySet<number> | undefined, top: number, limit: number) {
  let toSeq = top;
  while (seqs && toSeq > top - limit && !seqs.has(toSeq)) toSeq--;
  if (!seqs?.has(toSeq)) return undefined;
  let fromSeq = toSeq;
  while (fromSeq - 1 > top - limit && seqs.has(fromSeq - 1)) fromSeq--;
  return { fromSeq, toSeq };
}

export const emptyIndex = (): Index => ({
  sizes: new Map(),
  inBlock: new Set(),
  bytes: 0,
  byConv: new Map(),
});

/**
 * The stored index: one line per body, `<conversation>/<seq> <bytes>`, then ` b` when it is in a
 * block (an entry of its own otherwise, as an older version kept it); bad lines are skipped.
 */
export function parseIndex(raw: unknown): Index {
  const ix = emptyIndex();
  if (typeof raw !== 'string') return ix;
  for (const line of raw.split('\n')) {
    const m = /^([^\s/]+)\/(\d+) (\d+)( b)?$/.exec(line);
    if (m) addTo(ix, `${m[1]}/${m[2]}`, Number(m[3]), !!m[4]);
  }
  return ix;
}

export const serializeIndex = (ix: Index) =>
  [...ix.sizes].map(([id, n]) => `${id} ${n}${ix.inBlock.has(id) ? ' b' : ''}`).join('\n');

/** An encrypted entry: a block (v3), or one body of an older version (v2). */
export interface Entry {
  iv: Uint8Array;
  ct: Uint8Array;
}

const bs = (u: Uint8Array) => u as Uint8Array<ArrayBuffer>;

/** A block's records; undefined when there is none or it does not open (damaged, moved). */
export async function openBlock(key: CryptoKey, e: unknown, conversationId: string, block: number) {
  const entry = e as Entry | undefined;
  if (!entry?.iv || !entry.ct) return undefined;
  try {
    const aad = { name: 'AES-GCM', iv: bs(entry.iv), additionalData: blockAad(conversationId, block) };
    return decodeBlock(new Uint8Array(await globalThis.crypto.subtle.decrypt(aad, key, bs(entry.ct))));
  } catch {
    return undefined;
  }
}

/** A body an older version kept on its own, bound by its associated data (v2). */
export async function openEntry(key: CryptoKey, e: unknown, aad: Uint8Array) {
  const entry = e as Entry | undefined;
  if (!entry?.iv || !entry.ct) return undefined;
  try {
    const alg = { name: 'AES-GCM', iv: bs(entry.iv), additionalData: aad };
    return new Uint8Array(await globalThis.crypto.subtle.decrypt(alg, key, bs(entry.ct)));
  } catch {
    return undefined;
  }
}

/**
 * For tests and diagnostics: the seqs of a conversation whose bodies are in a store's raw
 * entries (`[key, value]`, a MemoryKeyStore's map), read from the blocks themselves (decrypted
 * with the stored local key) and from entries of the older version; not from the index.
 */
export async function keptSeqsIn(
  entries: Iterable<readonly [string, unknown]>,
  userId: string,
  conversationId: string,
): Promise<number[]> {
  const list = [...entries];
  const dir = `e2ee/${userId}/opened/`;
  const key = list.find(([k]) => k === `${dir}key`)?.[1];
  const seqs: number[] = [];
  for (const [k, v] of list) {
    if (k.startsWith(`${dir}m/${conversationId}/`)) seqs.push(Number(k.slice(k.lastIndexOf('/') + 1)));
    if (!k.startsWith(`${dir}b/${conversationId}/`) || !(key instanceof CryptoKey)) continue;
    const e = v as { iv: Uint8Array<ArrayBuffer>; ct: Uint8Array<ArrayBuffer> };
    const block = Number(k.slice(k.lastIndexOf('/') + 1));
    const alg = { name: 'AES-GCM', iv: e.iv, additionalData: blockAad(conversationId, block) };
    seqs.push(...decodeBlock(new Uint8Array(await globalThis.crypto.subtle.decrypt(alg, key, e.ct))).keys());
  }
  return seqs.sort((a, b) => a - b);
}
