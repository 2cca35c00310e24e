import { checkTtlMs, type Kv } from './kv.js';

/** The kv operations that cross to the process owning the store, by their number on the wire. */
export const KV_OPS = [
  'get',
  'set',
  'del',
  'getDel',
  'incr',
  'pttl',
  'expire',
  'leaseAdd',
  'leaseRemove',
  'leaseCount',
  'ping',
] as const;
export type KvOp = (typeof KV_OPS)[number];

export type KvArg = string | number | boolean | undefined;
export type KvResult = string | number | boolean | null;

/** How a socket worker reaches the kv of its primary: one operation, one answer. */
export interface KvUplink {
  call(op: KvOp, args: readonly KvArg[]): Promise<KvResult>;
}

/**
 * The kv port of a socket worker: every operation runs on the primary's store (memory or
 * Redis), so rate windows, revoked sessions and presence leases are the same for every worker
 * as in one process. Arguments are checked here first, so a caller's mistake fails the same
 * way as on any other backend.
 */
export function createIpcKv(uplink: KvUplink): Kv {
  let closed = false;
  const call = <T extends KvResult>(op: KvOp, ...args: KvArg[]): Promise<T> => {
    if (closed) return Promise.reject(new Error('kv is closed'));
    return uplink.call(op, args) as Promise<T>;
  };
  const ttl = (ms: number | undefined) => (ms === undefined ? undefined : checkTtlMs(ms));
  return {
    get: (key) => call('get', key),
    // The link carries one value per answer: a get each (the kv's owner has the real many-get).
    getMany: async (keys) => Promise.all(keys.map((key) => call<string | null>('get', key))),
    set: async (key, value, opts) => call('set', key, value, ttl(opts?.ttlMs), opts?.ifAbsent === true),
    del: (key) => call('del', key),
    getDel: (key) => call('getDel', key),
    incr: async (key, opts) => call('incr', key, opts?.by ?? 1, ttl(opts?.ttlMs)),
    pttl: (key) => call('pttl', key),
    expire: async (key, ttlMs) => call('expire', key, checkTtlMs(ttlMs)),
    leaseAdd: async (key, member, ttlMs) => call('leaseAdd', key, member, checkTtlMs(ttlMs)),
    leaseRemove: (key, member) => call('leaseRemove', key, member),
    leaseCount: (key) => call('leaseCount', key),
    ping: async () => void (await call('ping')),
    async close() {
      closed = true;
    },
  };
}

/** The owner's side: runs one operation a worker sent on the real store. */
export async function runKvOp(kv: Kv, op: KvOp, a: readonly KvArg[]): Promise<KvResult> {
  const s = (i: number) => {
    const v = a[i];
    if (typeof v !== 'string') throw new TypeError(`kv ${op}: argument ${i} must be a string`);
    return v;
  };
  const n = (i: number) => {
    const v = a[i];
    if (typeof v !== 'number') throw new TypeError(`kv ${op}: argument ${i} must be a number`);
    return v;
  };
  const optN = (i: number) => (a[i] === undefined ? undefined : n(i));
  switch (op) {
    case 'get':
      return kv.get(s(0));
    case 'set': {
      const ttlMs = optN(2);
      return kv.set(s(0), s(1), { ...(ttlMs !== undefined && { ttlMs }), ifAbsent: a[3] === true });
    }
    case 'del':
      return kv.del(s(0));
    case 'getDel':
      return kv.getDel(s(0));
    case 'incr': {
      const ttlMs = optN(2);
      return kv.incr(s(0), { by: n(1), ...(ttlMs !== undefined && { ttlMs }) });
    }
    case 'pttl':
      return kv.pttl(s(0));
    case 'expire':
      return kv.expire(s(0), n(1));
    case 'leaseAdd':
      return kv.leaseAdd(s(0), s(1), n(2));
    case 'leaseRemove':
      return kv.leaseRemove(s(0), s(1));
    case 'leaseCount':
      return kv.leaseCount(s(0));
    case 'ping':
      await kv.ping();
      return null;
  }
}
