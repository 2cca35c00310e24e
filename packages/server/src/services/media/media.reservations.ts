import type { Kv } from '../../adapters/kv/kv.js';
import type { Clock } from '../../kernel/clock.js';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';

interface Held {
  bytes: number;
  expiresAt: number;
}
type Holds = Record<string, Held>;

const holdsKey = (ownerId: string) => `media:reserved:${ownerId}`;
const lockKey = (ownerId: string) => `media:reserved-lock:${ownerId}`;
const LOCK_MS = 5_000;
const LOCK_WAIT_MS = 10_000;

/**
 * Bytes promised to resumable uploads that have not finished. A tus upload declares its
 * length when it is created and may take hours to arrive; without a reservation every
 * upload passes the quota check on its own and together they exceed it. One kv entry per
 * owner holds their open uploads with their expiry, so expired ones drop out when next read
 * (no sweeper) and every gateway and media process sees the same set. Changes to one owner's
 * set are serialized with a short kv lock, so parallel creations cannot both take the last
 * bytes.
 */
export class UploadReservations {
  constructor(
    private readonly d: {
      kv: Kv;
      clock: Clock;
      /** How long an unfinished upload is kept (the tus store's expiry). */
      ttlMs: number;
      /** Open uploads one owner may have. */
      maxOpen: number;
    },
  ) {}

  /** Bytes reserved for the owner's open uploads, except `exceptId` (the one finishing). */
  async reservedBytes(ownerId: string, exceptId = ''): Promise<number> {
    const holds = await this.read(ownerId);
    return Object.entries(holds).reduce((sum, [id, h]) => (id === exceptId ? sum : sum + h.bytes), 0);
  }

  /**
   * Reserves `bytes` for upload `id` once `admit(reservedByOthers)` accepts them (it throws
   * QUOTA_EXCEEDED and the like). Reserving an id again changes nothing.
   */
  async reserve(
    ownerId: string,
    id: string,
    bytes: number,
    admit: (reserved: number) => Promise<void>,
  ): Promise<void> {
    await this.locked(ownerId, async () => {
      const holds = await this.read(ownerId);
      if (holds[id]) return;
      if (Object.keys(holds).length >= this.d.maxOpen) {
        throw new AppError(
          ErrorCode.TOO_MANY_UPLOADS,
          `you have ${this.d.maxOpen} unfinished uploads; finish or cancel one first`,
        );
      }
      await admit(Object.values(holds).reduce((s, h) => s + h.bytes, 0));
      holds[id] = { bytes, expiresAt: this.d.clock.now() + this.d.ttlMs };
      await this.write(ownerId, holds);
    });
  }

  /** Frees upload `id`'s reservation (finished, refused or deleted); nothing if there is none. */
  async release(ownerId: string, id: string): Promise<void> {
    if (!(await this.read(ownerId))[id]) return;
    await this.locked(ownerId, async () => {
      const holds = await this.read(ownerId);
      if (!holds[id]) return;
      delete holds[id];
      await this.write(ownerId, holds);
    });
  }

  private async read(ownerId: string): Promise<Holds> {
    const raw = await this.d.kv.get(holdsKey(ownerId));
    const now = this.d.clock.now();
    const live: Holds = {};
    for (const [id, h] of Object.entries(raw ? (JSON.parse(raw) as Holds) : {}))
      if (h.expiresAt > now) live[id] = h;
    return live;
  }

  private async write(ownerId: string, holds: Holds): Promise<void> {
    const last = Math.max(0, ...Object.values(holds).map((h) => h.expiresAt));
    const ttlMs = last - this.d.clock.now();
    if (ttlMs <= 0) await this.d.kv.del(holdsKey(ownerId));
    else await this.d.kv.set(holdsKey(ownerId), JSON.stringify(holds), { ttlMs });
  }

  private async locked<T>(ownerId: string, fn: () => Promise<T>): Promise<T> {
    const key = lockKey(ownerId);
    const token = `${process.pid}:${Math.random()}`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    while (!(await this.d.kv.set(key, token, { ttlMs: LOCK_MS, ifAbsent: true }))) {
      if (Date.now() > deadline)
        throw errors.rateLimited(1, 'too many uploads are starting at once; try again');
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 15));
    }
    try {
      return await fn();
    } finally {
      // Only our own lock: one that outlived LOCK_MS may already be someone else's.
      if ((await this.d.kv.get(key)) === token) await this.d.kv.del(key);
    }
  }
}
