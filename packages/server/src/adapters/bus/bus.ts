/** A live subscription; `unsubscribe` is idempotent. */
export interface BusSubscription {
  unsubscribe(): Promise<void>;
}

export type BusHandler = (payload: Uint8Array, channel: string) => void;

/**
 * The bus port: best-effort fan-out of small hints ("new at seq N", presence changes,
 * session revoked) between processes. At-most-once: a message published while nobody
 * is subscribed, or during a broken connection, is lost, and correctness never depends
 * on it (clients repair through sync). Implementations: in-process, Redis pub/sub.
 * Channels are namespaced by the caller (`u:123`); the adapter adds the global prefix.
 */
export interface Bus {
  publish(channel: string, payload: Uint8Array): Promise<void>;
  /**
   * The same payload on many channels (a push to every member of a group): as if published
   * on each in turn, but the adapter copies and sends the bytes once where it can.
   */
  publishMany(channels: readonly string[], payload: Uint8Array): Promise<void>;
  /**
   * Delivers every later publish on `channel` to `handler`, in publish order per
   * publisher. Several subscriptions to one channel each get every message. The
   * promise resolves once the subscription is active (a publish after it is seen).
   */
  subscribe(channel: string, handler: BusHandler): Promise<BusSubscription>;
  /**
   * Calls `listener` each time the bus comes back after losing its connection, once the
   * subscriptions are active again. Whatever was published meanwhile is lost: a subscriber
   * that relies on hints (a gateway) should have its clients sync now. Never called by the
   * in-process bus, which cannot lose anything.
   */
  onResume(listener: () => void): void;
  /** Whether the bus is connected now (readiness): false while a broker is unreachable. */
  connected(): boolean;
  close(): Promise<void>;
}
