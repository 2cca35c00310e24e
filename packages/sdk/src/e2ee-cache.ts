/**
 * Opened messages kept on this device (docs/security.md, section 3, item 5): each body opened here,
 * encrypted under a local AES-256-GCM key (non-extractable where the store holds CryptoKeys), so a
 * chat reopens with a decrypt per block of bodies instead of unwrapping. Nothing here reaches the
 * server. Under `<prefix>/opened/` (OPENED_DIR): `key`, an `index` of every body oldest first with its
 * size (the bound, and what a clear deletes), `b/<conversation>/<block>` the bodies of BLOCK_SEQS seqs
 * with their bindings (e2ee-cache-format.ts), and `m/<conversation>/<seq>` one body each as an older
 * version kept them (moved into blocks when read). Deleting the directory forgets them all.
 */
import {
  addTo,
  checkOpenedLimits,
  DEFAULT_OPENED_LIMITS,
  OPENED_DIR,
  type OpenedLimits,
  bindingOf,
  BLOCK_SEQS,
  blockAad,
  blockOf,
  emptyIndex,
  encodeBlock,
  openBlock,
  openEntry,
  idOf,
  parseIndex,
  recordSize,
  removeFrom,
  runOf,
  serializeIndex,
  splitId,
  type BlockRecord,
  type Entry,
  type Index,
} from './e2ee-cache-format.js';
import { bs, equalBytes, randomBytes } from './e2ee-crypto.js';
import { MemoryKeyStore, type E2eeKeyStore } from './e2ee-keys.js';
import { ForgetLog } from './e2ee-forgets.js';
import type { ChatMessage, Sealed } from './types.js';

const subtle = () => globalThis.crypto.subtle;

export { OPENED_DIR, DEFAULT_OPENED_LIMITS, checkOpenedLimits, type OpenedLimits };

type Change = { set: (readonly [string, unknown])[]; del: string[]; all?: boolean };
const later = <T>(fn: () => Promise<T>) => new Promise((r) => setTimeout(r, 0)).then(fn);

export class OpenedCache {
  private key?: Promise<CryptoKey>;
  private index?: Promise<Index>;
  /** Changes to the store, one after another (each writes the index it changed). */
  private writes: Promise<void> = Promise.resolve();
  /** Bodies waiting for the next write (after the macrotask they came in), and that write. */
  private pending = new Map<string, BlockRecord>();
  private flush?: Promise<void>;
  /** The forgets since a keep began drop it (see ForgetLog). */
  private readonly forgets = new ForgetLog();
  /** The last blocks read, decoded, and those read ahead (preload); dropped by every change (`gen`). */
  private decoded = new Map<string, { iv: Uint8Array; records: Map<number, BlockRecord> }>();
  private gen = 0;
  private ahead?: { gen: number; t: number; entries: Map<string, unknown> };
  private preloading?: Promise<void>;
  private readonly store: E2eeKeyStore;
  private readonly dir: string;

  /**
   * `store`: where entries and the local key live; in memory when it cannot hold CryptoKeys (the
   * local key would sit as bytes next to them). `userId`: whose (OPENED_DIR).
   */
  constructor(
    store: E2eeKeyStore,
    private readonly userId: string,
    private readonly limits: OpenedLimits = DEFAULT_OPENED_LIMITS,
  ) {
    checkOpenedLimits(limits);
    this.store = store.holdsCryptoKeys ? store : new MemoryKeyStore();
    this.dir = OPENED_DIR(userId);
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

  private entryAt = (id: string) => `${this.dir}m/${id}`;
  private blockAt = (conversationId: string, block: number) => `${this.dir}b/${conversationId}/${block}`;
  private blockOfId = (id: string) => this.blockAt(splitId(id).conversationId, blockOf(splitId(id).seq));

  /** The conversations with kept bodies. */
  async conversations(): Promise<string[]> {
    return [...(await this.loadIndex()).byConv.keys()];
  }

  /** Whether a body of this message is kept (the index says so; its binding is checked on read). */
  async has(m: { conversationId: string; seq: number }): Promise<boolean> {
    return (await this.loadIndex()).sizes.has(idOf(m)) || this.pending.has(idOf(m));
  }

  /** The seqs kept without a gap up to the newest kept one at most `top`, `limit` at most (runOf). */
  async keptRun(conversationId: string, top: number, limit: number) {
    return runOf((await this.loadIndex()).byConv.get(conversationId), top, limit);
  }

  /** The body kept for this message, or undefined; `deviceId`: this device (see bindingOf). */
  async get(m: ChatMessage, sealed: Sealed, deviceId: string): Promise<Uint8Array | undefined> {
    return (await this.getMany([{ m, sealed }], deviceId))[0];
  }

  /**
   * Reads and decrypts the blocks of seqs `fromSeq..toSeq` of a conversation ahead of `getMany`
   * (while a page is fetched, so that reopening it overlaps the network wait). What it read
   * serves the `getMany` calls of the next second, while nothing was written or forgotten here.
   */
  preload(conversationId: string, fromSeq: number, toSeq: number): Promise<void> {
    const [gen, t, at] = [this.gen, performance.now(), [] as string[]];
    for (let b = blockOf(fromSeq); b <= blockOf(toSeq); b++) at.push(this.blockAt(conversationId, b));
    this.preloading = (async () => {
      const [key, entries] = await Promise.all([this.localKey(), this.read(at)]);
      const first = blockOf(fromSeq);
      await Promise.all(at.map((k, i) => this.block(key, k, entries[i], conversationId, first + i)));
      if (this.gen === gen) this.ahead = { gen, t, entries: new Map(at.map((k, i) => [k, entries[i]])) };
    })().catch(() => undefined);
    return this.preloading;
  }

  private read(at: readonly string[]): Promise<unknown[]> {
    return this.store.getMany ? this.store.getMany(at) : Promise.all(at.map((k) => this.store.get(k)));
  }

  /** A block's records, decrypted once per stored entry (its nonce) while nothing changed here. */
  private block(key: CryptoKey, k: string, e: unknown, conversationId: string, block: number) {
    const gen = this.gen;
    const known = this.decoded.get(k);
    // The same entry (a rewrite has a new nonce; another instance's too): no decrypt.
    const iv = (e as Entry | undefined)?.iv;
    if (iv && known && equalBytes(known.iv, iv)) return Promise.resolve(known.records);
    return openBlock(key, e, conversationId, block).then((records) => {
      // Not kept when anything changed since the read (a forget must not come back from memory).
      if (records && this.gen === gen) this.decoded.set(k, { iv: iv!, records });
      if (this.decoded.size > 4) this.decoded.delete(this.decoded.keys().next().value!);
      return records;
    });
  }

  /**
   * The kept bodies of several messages: one store read for those in the index, one decrypt
   * per block (a page of 50 is in one or two); bodies of an older version are decrypted one by
   * one and moved into blocks.
   */
  async getMany(
    list: readonly { m: ChatMessage; sealed: Sealed }[],
    deviceId: string,
  ): Promise<(Uint8Array | undefined)[]> {
    const [reader, ix] = [{ userId: this.userId, deviceId }, await this.loadIndex()];
    const wanted = list.filter(({ m }) => ix.sizes.has(idOf(m)));
    if (!wanted.length) return list.map(() => undefined);
    const where = wanted.map(({ m }) =>
      ix.inBlock.has(idOf(m)) ? this.blockAt(m.conversationId, blockOf(m.seq)) : this.entryAt(idOf(m)),
    );
    const { key, entryOf, blockFor } = await this.entries([...new Set(where)]);
    const opened = new Map<(typeof list)[number], Uint8Array>();
    const moved: { m: ChatMessage; sealed: Sealed; body: Uint8Array }[] = [];
    await Promise.all(
      wanted.map(async (w, i) => {
        const k = where[i]!;
        if (!ix.inBlock.has(idOf(w.m))) {
          const body = await openEntry(key, entryOf(k), bindingOf(w.m, w.sealed, reader, 'v2'));
          if (body) moved.push({ ...w, body });
          if (body) opened.set(w, body);
          return;
        }
        const r = (await blockFor(k, w.m))?.get(w.m.seq);
        // Another message under this seq, or a changed byte: not this one's body.
        if (r && equalBytes(r.binding, bindingOf(w.m, w.sealed, reader, 'v3'))) opened.set(w, r.body);
      }),
    );
    for (const x of moved) void this.put(x.m, x.sealed, x.body, deviceId).catch(() => undefined);
    return list.map((w) => opened.get(w));
  }

  /** The entries at `at` (read ahead and still good, else now), the local key, and blocks opened once. */
  private async entries(at: readonly string[]) {
    await this.preloading;
    const a = this.ahead;
    const ahead = a?.gen === this.gen && performance.now() - a.t < 1000 ? a.entries : undefined;
    const missing = at.filter((k) => !ahead?.has(k));
    const [key, read] = await Promise.all([this.localKey(), missing.length ? this.read(missing) : []]);
    const entryOf = (k: string) => (ahead?.has(k) ? ahead.get(k) : read[missing.indexOf(k)]);
    const blocks = new Map<string, Promise<Map<number, BlockRecord> | undefined>>();
    const blockFor = (k: string, m: { conversationId: string; seq: number }) => {
      let b = blocks.get(k);
      if (!b) blocks.set(k, (b = this.block(key, k, entryOf(k), m.conversationId, blockOf(m.seq))));
      return b;
    };
    return { key, entryOf, blockFor };
  }

  /** The records kept in blocks under these messages' seqs (bindings not compared: the caller does). */
  async records(list: readonly ChatMessage[]): Promise<(BlockRecord | undefined)[]> {
    const ix = await this.loadIndex();
    const at = list.map((m) =>
      ix.inBlock.has(idOf(m)) ? this.blockAt(m.conversationId, blockOf(m.seq)) : '',
    );
    const { blockFor } = await this.entries([...new Set(at.filter(Boolean))]);
    return Promise.all(
      list.map(async (m, i) => (at[i] ? (await blockFor(at[i], m))?.get(m.seq) : undefined)),
    );
  }

  /** A count to give `put` when opening starts: a forget of its conversation since drops the keep. */
  mark(): number {
    return this.forgets.mark();
  }

  /**
   * Keeps a body; those kept in one macrotask (a page's) go in one write into their blocks, after
   * it (forgets prune `pending` meanwhile). The binding is taken now: what resolves is the write.
   * `since` (from `mark`): dropped if forgotten since.
   */
  put(m: ChatMessage, sealed: Sealed, body: Uint8Array, deviceId: string, since?: number): Promise<void> {
    if (since !== undefined && this.forgets.since(m, since)) return Promise.resolve();
    const binding = bindingOf(m, sealed, { userId: this.userId, deviceId }, 'v3');
    this.pending.set(idOf(m), { seq: m.seq, binding, body });
    if (this.flush) return this.flush;
    const run: Promise<void> = later(() => this.change((ix) => this.writePending(ix))).finally(() => {
      if (this.flush === run) this.flush = undefined;
    });
    return (this.flush = run);
  }

  /** The waiting keeps into their blocks, with the evictions the bound asks for. */
  private async writePending(ix: Index): Promise<Change> {
    const batch = this.pending;
    [this.pending, this.flush] = [new Map(), undefined];
    const del: string[] = [];
    for (const [id, r] of batch) {
      if (ix.sizes.has(id) && !ix.inBlock.has(id)) del.push(this.entryAt(id));
      addTo(ix, id, recordSize(r), true);
    }
    const touched = new Set([...batch.keys()].map((id) => this.blockOfId(id)));
    for (const id of ix.sizes.keys()) {
      if (ix.sizes.size <= this.limits.entries && ix.bytes <= this.limits.bytes) break;
      if (ix.inBlock.has(id)) touched.add(this.blockOfId(id));
      else del.push(this.entryAt(id));
      removeFrom(ix, id);
      batch.delete(id);
    }
    const r = await this.rewrite(ix, touched, batch);
    return { set: r.set, del: [...del, ...r.del] };
  }

  /**
   * Rewrites blocks: each keeps the records the index still holds in it, plus `add`; an empty
   * block is deleted. A block that does not open is rewritten from `add` alone (and what the
   * index said was in it is dropped from the index).
   */
  private async rewrite(ix: Index, blocks: Set<string>, add: Map<string, BlockRecord>): Promise<Change> {
    const set: Change['set'] = [];
    const del: string[] = [];
    if (!blocks.size) return { set, del };
    const at = [...blocks];
    const [key, entries] = await Promise.all([this.localKey(), this.read(at)]);
    const byBlock = new Map(at.map((k) => [k, [] as [string, BlockRecord][]]));
    for (const [id, r] of add) byBlock.get(this.blockOfId(id))?.push([id, r]);
    await Promise.all(
      at.map(async (k, i) => {
        const { conversationId, seq: block } = splitId(k.slice(`${this.dir}b/`.length));
        const old =
          (await openBlock(key, entries[i], conversationId, block)) ?? new Map<number, BlockRecord>();
        const records = new Map<number, BlockRecord>();
        for (const [seq, r] of old) {
          const id = idOf({ conversationId, seq });
          if (ix.inBlock.has(id) && !add.has(id)) records.set(seq, r);
        }
        for (const [, r] of byBlock.get(k)!) records.set(r.seq, r);
        // The index's bodies of this block that it no longer holds (it did not open): gone.
        for (let seq = block * BLOCK_SEQS; seq < (block + 1) * BLOCK_SEQS; seq++) {
          const id = idOf({ conversationId, seq });
          if (ix.inBlock.has(id) && !records.has(seq)) removeFrom(ix, id);
        }
        if (!records.size) return void del.push(k);
        const iv = randomBytes(12);
        const alg = { name: 'AES-GCM', iv, additionalData: blockAad(conversationId, block) };
        const ct = new Uint8Array(await subtle().encrypt(alg, key, bs(encodeBlock(records.values()))));
        set.push([k, { iv, ct }]);
      }),
    );
    return { set, del };
  }

  /** Resolves once every keep and forget asked for so far is written. */
  async settled(): Promise<void> {
    let last: Promise<void> | undefined;
    while (this.flush || last !== this.writes) {
      await this.flush?.catch(() => undefined);
      last = this.writes;
      await last;
    }
  }

  /** Drops a message's body (recalled: its content is gone everywhere). */
  forget(m: { conversationId: string; seq: number }): Promise<void> {
    return this.forgetWhere(m.conversationId, (seq) => seq === m.seq);
  }

  /** Drops the bodies of a conversation's messages that `drop` picks (cleared, hidden). */
  forgetWhere(conversationId: string, drop: (seq: number) => boolean): Promise<void> {
    this.forgets.conversation(conversationId, drop);
    this.dropDecoded();
    for (const id of this.pending.keys())
      if (id.startsWith(`${conversationId}/`) && drop(splitId(id).seq)) this.pending.delete(id);
    return this.change(async (ix) => {
      const seqs = [...(ix.byConv.get(conversationId) ?? [])].filter(drop);
      const ids = seqs.map((seq) => idOf({ conversationId, seq }));
      const blocks = new Set(ids.filter((id) => ix.inBlock.has(id)).map((id) => this.blockOfId(id)));
      const del = ids.filter((id) => !ix.inBlock.has(id)).map((id) => this.entryAt(id));
      for (const id of ids) removeFrom(ix, id);
      for (const id of this.pending.keys())
        if (id.startsWith(`${conversationId}/`) && drop(splitId(id).seq)) this.pending.delete(id);
      const r = await this.rewrite(ix, blocks, new Map());
      return { set: r.set, del: [...del, ...r.del] };
    });
  }

  /** Drops what a conversation's state says I cleared or deleted for myself. */
  async forgetHidden(c: { id: string; clearedSeq?: number; hiddenSeqs?: readonly number[] }): Promise<void> {
    const [cleared, hidden] = [c.clearedSeq ?? 0, new Set(c.hiddenSeqs ?? [])];
    if (cleared > 0 || hidden.size) await this.forgetWhere(c.id, (seq) => seq <= cleared || hidden.has(seq));
  }

  /** Forgets every kept body and the local key (sign-out, this device removed). */
  forgetAll(): Promise<void> {
    this.forgets.everything();
    this.dropDecoded();
    this.pending = new Map();
    return this.change((ix) => {
      const del = [...ix.sizes.keys()].map((id) =>
        ix.inBlock.has(id) ? this.blockOfId(id) : this.entryAt(id),
      );
      Object.assign(ix, emptyIndex());
      this.pending = new Map();
      this.key = undefined;
      return Promise.resolve({ set: [], del: [...new Set(del), `${this.dir}key`], all: true });
    });
  }

  private dropDecoded() {
    this.gen++;
    this.decoded.clear();
  }

  /**
   * One change after the ones before: `fn` edits the index and says what to write and delete;
   * the index is written with them (in one store update where the store has one).
   */
  private change(fn: (ix: Index) => Promise<Change>): Promise<void> {
    // Blocks read while this runs may be stale: not kept decoded (gen moves at both ends).
    const run = this.writes
      .then(async () => {
        this.dropDecoded();
        const ix = await this.loadIndex();
        const before = ix.sizes.size;
        const { set, del, all } = await fn(ix);
        if (!set.length && !del.length && before === ix.sizes.size) return;
        if (all && this.store.deletePrefix) return this.store.deletePrefix(this.dir);
        set.push([`${this.dir}index`, serializeIndex(ix)]);
        if (this.store.update) return this.store.update(set, del);
        for (const k of del) await this.store.delete(k);
        for (const [k, v] of set) await this.store.set(k, v);
      })
      .finally(() => this.dropDecoded());
    this.writes = run.catch(() => undefined);
    return run;
  }
}
