/**
 * Opened messages kept on this device (docs/security.md, sections 5 and 6): the body of each
 * message this device opened, encrypted under a local AES-256-GCM key that is non-extractable
 * where the store holds CryptoKeys (IndexedDB in the web app). Reopening a chat then decrypts
 * each body once with a local key instead of unwrapping it again (X25519, HKDF, two AES-GCM).
 * Nothing here reaches the server.
 *
 * Everything lives under `<prefix>/opened/` (OPENED_DIR): `key` the local key, `index` every
 * entry oldest first with its size, `m/<conversation>/<seq>` one entry each. The index bounds
 * the entries (count and bytes, the oldest evicted) and says what to delete when a chat is
 * cleared or messages are hidden; deleting everything under the directory (or only the key)
 * forgets them all.
 */
import { bs, randomBytes } from './e2ee-crypto.js';
import { MemoryKeyStore, type E2eeKeyStore } from './e2ee-keys.js';
import type { ChatMessage, Sealed } from './types.js';

const subtle = () => globalThis.crypto.subtle;
const enc = new TextEncoder();

/** Where a user's kept bodies live under a store: delete everything under it to forget them. */
export const OPENED_DIR = (userId: string) => `e2ee/${userId}/opened/`;

/** How much is kept: the oldest entries go first once either bound is passed. */
export interface OpenedLimits {
  entries: number;
  /** The entries' ciphertext bytes. */
  bytes: number;
}
export const DEFAULT_OPENED_LIMITS: OpenedLimits = { entries: 10_000, bytes: 16 * 1024 * 1024 };

/** Throws a RangeError for a bound that keeps nothing (or is not a number). */
export function checkOpenedLimits(limits: Partial<OpenedLimits>): void {
  const { entries, bytes } = { ...DEFAULT_OPENED_LIMITS, ...limits };
  if (!(entries >= 1 && bytes >= 1))
    throw new RangeError('keep at least one entry and one byte of opened messages');
}

interface Entry {
  iv: Uint8Array;
  ct: Uint8Array;
}

/** Entries oldest first (a Map keeps insertion order) with their sizes, and by conversation. */
interface Index {
  sizes: Map<string, number>;
  bytes: number;
  byConv: Map<string, Set<number>>;
}

/**
 * Binds an entry to the exact message it came from: the conversation, seq, sender, sending
 * device and every byte of the sealed message this device reads (ciphertext, nonce, ephemeral
 * key, and the wrappings it can open: its own and its account's backup key's). A message
 * changed in any of these since (another message under the seq, a changed byte) does not open
 * the entry: it is opened from scratch, and a changed one is refused as tampered. Wrappings for
 * other devices are left out, so that the whole message and the one a history page carries for
 * this device (GetHistoryRequest.e2ee_device_id) give the same entry.
 */
const aadOf = (m: ChatMessage, sealed: Sealed, reader: { userId: string; deviceId: string }) => {
  const head = enc.encode(
    `mychat-e2ee/local/v2\n${m.conversationId}\n${m.seq}\n${m.senderId}\n${sealed.senderDeviceId}\n`,
  );
  const wraps = readable(sealed, reader).map((k) => ({ id: enc.encode(`${k.userId}\n${k.deviceId}\n`), k }));
  const parts = [sealed.ciphertext, sealed.nonce, sealed.ephemeralKey];
  // Written into one buffer (a page reads 50 of these at once).
  let size = head.length;
  for (const p of parts) size += 4 + p.length;
  for (const w of wraps) size += w.id.length + 4 + w.k.wrapped.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  const put = (u: Uint8Array) => {
    out.set(u, at);
    at += u.length;
  };
  const withLength = (u: Uint8Array) => {
    view.setUint32(at, u.length);
    at += 4;
    put(u);
  };
  put(head);
  parts.forEach(withLength);
  for (const w of wraps) {
    put(w.id);
    withLength(w.k.wrapped);
  }
  return out;
};

/** The wrappings a device can open: its own, and its account's backup key's. */
const readable = (sealed: Sealed, reader: { userId: string; deviceId: string }) =>
  sealed.keys.filter(
    (k) => k.userId === reader.userId && (k.deviceId === reader.deviceId || k.deviceId === 'backup'),
  );

const idOf = (m: { conversationId: string; seq: number }) => `${m.conversationId}/${m.seq}`;

function addTo(ix: Index, id: string, size: number) {
  removeFrom(ix, id);
  ix.sizes.set(id, size);
  ix.bytes += size;
  const cut = id.lastIndexOf('/');
  const conv = id.slice(0, cut);
  let seqs = ix.byConv.get(conv);
  if (!seqs) ix.byConv.set(conv, (seqs = new Set()));
  seqs.add(Number(id.slice(cut + 1)));
}

function removeFrom(ix: Index, id: string): boolean {
  const size = ix.sizes.get(id);
  if (size === undefined) return false;
  ix.sizes.delete(id);
  ix.bytes -= size;
  const cut = id.lastIndexOf('/');
  const seqs = ix.byConv.get(id.slice(0, cut));
  seqs?.delete(Number(id.slice(cut + 1)));
  if (seqs?.size === 0) ix.byConv.delete(id.slice(0, cut));
  return true;
}

/** The stored index: one line per entry, `<conversation>/<seq> <bytes>`; bad lines are skipped. */
function parseIndex(raw: unknown): Index {
  const ix: Index = { sizes: new Map(), bytes: 0, byConv: new Map() };
  if (typeof raw !== 'string') return ix;
  for (const line of raw.split('\n')) {
    const m = /^([^\s/]+)\/(\d+) (\d+)$/.exec(line);
    if (m) addTo(ix, `${m[1]}/${m[2]}`, Number(m[3]));
  }
  return ix;
}

const serialize = (ix: Index) => [...ix.sizes].map(([id, n]) => `${id} ${n}`).join('\n');

export class OpenedCache {
  private key?: Promise<CryptoKey>;
  private index?: Promise<Index>;
  /** Changes to the store, one after another (each writes the index it changed). */
  private writes: Promise<void> = Promise.resolve();
  /** Entries waiting for the next write, and that write. */
  private pending = new Map<string, Entry>();
  private flush?: Promise<void>;
  private readonly store: E2eeKeyStore;
  private readonly dir: string;
  private readonly userId: string;

  /**
   * `store`: where entries and the local key live. A store that cannot hold CryptoKeys (a
   * file) would keep the local key as bytes next to the entries: entries then stay in memory.
   * `userId`: whose (OPENED_DIR).
   */
  constructor(
    store: E2eeKeyStore,
    userId: string,
    private readonly limits: OpenedLimits = DEFAULT_OPENED_LIMITS,
  ) {
    checkOpenedLimits(limits);
    this.store = store.holdsCryptoKeys ? store : new MemoryKeyStore();
    this.dir = OPENED_DIR(userId);
    this.userId = userId;
  }

  /**
   * The index, read once. None stored: nothing was kept with this layout, so whatever an older
   * version kept (no index, no bound) is deleted, its local key first.
   */
  private loadIndex(): Promise<Index> {
    this.index ??= (async () => {
      const raw = await this.store.get(`${this.dir}index`);
      if (raw === undefined) {
        await this.store.delete(`${this.dir.slice(0, -'opened/'.length)}local-key`);
        await this.store.deletePrefix?.(this.dir);
      }
      return parseIndex(raw);
    })();
    this.index.catch(() => (this.index = undefined));
    return this.index;
  }

  private localKey(): Promise<CryptoKey> {
    this.key ??= (async () => {
      await this.loadIndex();
      const at = `${this.dir}key`;
      const stored = await this.store.get(at);
      if (stored instanceof CryptoKey) return stored;
      const k = await subtle().generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
      await this.store.set(at, k);
      return k;
    })();
    this.key.catch(() => (this.key = undefined));
    return this.key;
  }

  private at(id: string) {
    return `${this.dir}m/${id}`;
  }

  /** The conversations with kept bodies. */
  async conversations(): Promise<string[]> {
    return [...(await this.loadIndex()).byConv.keys()];
  }

  /**
   * The body kept for this message, or undefined (none, or it belongs to another message).
   * `deviceId`: this device (its wrappings are bound to the entry, see aadOf).
   */
  async get(m: ChatMessage, sealed: Sealed, deviceId: string): Promise<Uint8Array | undefined> {
    return (await this.getMany([{ m, sealed }], deviceId))[0];
  }

  /** The kept bodies of several messages: one store read for those in the index, in parallel. */
  async getMany(
    list: readonly { m: ChatMessage; sealed: Sealed }[],
    deviceId: string,
  ): Promise<(Uint8Array | undefined)[]> {
    const reader = { userId: this.userId, deviceId };
    const ix = await this.loadIndex();
    const wanted = list.filter(({ m }) => ix.sizes.has(idOf(m)));
    if (!wanted.length) return list.map(() => undefined);
    const at = wanted.map(({ m }) => this.at(idOf(m)));
    const [key, entries] = await Promise.all([
      this.localKey(),
      this.store.getMany ? this.store.getMany(at) : Promise.all(at.map((k) => this.store.get(k))),
    ]);
    const opened = new Map<(typeof list)[number], Uint8Array>();
    await Promise.all(
      wanted.map(async (w, i) => {
        const e = entries[i] as Entry | undefined;
        if (!e) return;
        try {
          const aad = { name: 'AES-GCM', iv: bs(e.iv), additionalData: aadOf(w.m, w.sealed, reader) };
          opened.set(w, new Uint8Array(await subtle().decrypt(aad, key, bs(e.ct))));
        } catch {
          /* another message under this seq, or a changed byte: not this one's body */
        }
      }),
    );
    return list.map((w) => opened.get(w));
  }

  /** Keeps a body; several kept at once go in one write (with the evictions the bound asks for). */
  async put(m: ChatMessage, sealed: Sealed, body: Uint8Array, deviceId: string): Promise<void> {
    const iv = randomBytes(12);
    const reader = { userId: this.userId, deviceId };
    const ct = await subtle().encrypt(
      { name: 'AES-GCM', iv, additionalData: aadOf(m, sealed, reader) },
      await this.localKey(),
      bs(body),
    );
    this.pending.set(idOf(m), { iv, ct: new Uint8Array(ct) });
    this.flush ??= this.change((ix) => {
      const batch = this.pending;
      [this.pending, this.flush] = [new Map(), undefined];
      for (const [id, e] of batch) addTo(ix, id, e.ct.length + e.iv.length);
      const del: string[] = [];
      for (const id of ix.sizes.keys()) {
        if (ix.sizes.size <= this.limits.entries && ix.bytes <= this.limits.bytes) break;
        removeFrom(ix, id);
        if (!batch.delete(id)) del.push(this.at(id));
      }
      return { set: [...batch].map(([id, e]) => [this.at(id), e] as const), del };
    });
    return this.flush;
  }

  /** Drops a message's body (recalled: its content is gone everywhere). */
  forget(m: { conversationId: string; seq: number }): Promise<void> {
    return this.forgetWhere(m.conversationId, (seq) => seq === m.seq);
  }

  /** Drops the bodies of a conversation's messages that `drop` picks (cleared, hidden). */
  forgetWhere(conversationId: string, drop: (seq: number) => boolean): Promise<void> {
    return this.change((ix) => {
      const seqs = [...(ix.byConv.get(conversationId) ?? [])].filter(drop);
      const ids = seqs.map((seq) => idOf({ conversationId, seq }));
      for (const id of ids) removeFrom(ix, id);
      for (const id of this.pending.keys())
        if (id.startsWith(`${conversationId}/`) && drop(Number(id.slice(conversationId.length + 1))))
          this.pending.delete(id);
      return { set: [], del: ids.map((id) => this.at(id)) };
    });
  }

  /** Drops what a conversation's state says I cleared or deleted for myself. */
  async forgetHidden(c: { id: string; clearedSeq?: number; hiddenSeqs?: readonly number[] }): Promise<void> {
    const [cleared, hidden] = [c.clearedSeq ?? 0, new Set(c.hiddenSeqs ?? [])];
    if (cleared > 0 || hidden.size) await this.forgetWhere(c.id, (seq) => seq <= cleared || hidden.has(seq));
  }

  /** Forgets every kept body and the local key (sign-out, this device removed). */
  forgetAll(): Promise<void> {
    return this.change((ix) => {
      const del = [...ix.sizes.keys()].map((id) => this.at(id));
      [ix.sizes, ix.bytes, ix.byConv, this.pending] = [new Map(), 0, new Map(), new Map()];
      this.key = undefined;
      return { set: [], del: [...del, `${this.dir}key`], all: true };
    });
  }

  /**
   * One change after the ones before: `fn` edits the index and says what to write and delete;
   * the index is written with them (in one store update where the store has one).
   */
  private change(
    fn: (ix: Index) => { set: (readonly [string, unknown])[]; del: string[]; all?: boolean },
  ): Promise<void> {
    const run = this.writes.then(async () => {
      const ix = await this.loadIndex();
      const before = ix.sizes.size;
      const { set, del, all } = fn(ix);
      if (!set.length && !del.length && before === ix.sizes.size) return;
      if (all && this.store.deletePrefix) return this.store.deletePrefix(this.dir);
      set.push([`${this.dir}index`, serialize(ix)]);
      if (this.store.update) return this.store.update(set, del);
      for (const k of del) await this.store.delete(k);
      for (const [k, v] of set) await this.store.set(k, v);
    });
    this.writes = run.catch(() => undefined);
    return run;
  }
}
