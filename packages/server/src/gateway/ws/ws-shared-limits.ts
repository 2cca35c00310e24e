/** A socket another process decided to close (over the user's or the session's cap). */
export interface SocketCloseOrder {
  userId: string;
  connId: number;
  code: number;
  reason: string;
}

/**
 * Socket limits kept outside this gateway for several gateways together: the primary of
 * `mychat serve --workers=N` holds them for its socket workers, so the pool of
 * unauthenticated sockets (in all and per client address) and the per-user and per-session
 * caps hold across workers as in one process. Without it the gateway counts its own sockets.
 */
export interface SharedSocketLimits {
  /** A place in the unauthenticated pool for a socket from `clientIp`, or why not. */
  admitPending(clientIp: string): Promise<'source' | 'busy' | undefined>;
  /** An admitted socket left the pool: it authenticated, or it closed before. */
  pendingLeft(clientIp: string): void;
  /** A socket authenticated; older sockets over a cap are closed through `onClose`. */
  opened(connId: number, userId: string, sessionId: string): void;
  /** An authenticated socket closed. */
  closed(connId: number): void;
  /** Where the owner's close orders for this gateway's sockets go. */
  onClose(handler: (orders: readonly SocketCloseOrder[]) => void): void;
}
