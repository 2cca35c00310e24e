/** What the SDK keeps of a signed-in session. */
export interface StoredSession {
  accessToken: string;
  /** Access-token expiry, epoch ms. */
  accessExpiresAt: number;
  refreshToken: string;
  sessionId: string;
  userId: string;
}

/**
 * Where the session is kept between runs. The default keeps it in memory; a browser
 * app plugs in one over localStorage or IndexedDB, a bot one over a file.
 */
export interface SessionStore {
  load(): Promise<StoredSession | undefined>;
  save(session: StoredSession): Promise<void>;
  clear(): Promise<void>;
  /**
   * Runs `fn` while no other holder of the same stored session runs one: the other tabs of a
   * browser, other processes sharing a file. The SDK refreshes inside it and re-reads the
   * session first, so a refresh token that another holder already rotated is never sent again
   * (the server ends the whole session on reuse). Optional; without it refreshes are
   * single-flight within one client only.
   */
  exclusive?<T>(fn: () => Promise<T>): Promise<T>;
}

export class MemorySessionStore implements SessionStore {
  private session: StoredSession | undefined;
  async load() {
    return this.session;
  }
  async save(s: StoredSession) {
    this.session = s;
  }
  async clear() {
    this.session = undefined;
  }
}
