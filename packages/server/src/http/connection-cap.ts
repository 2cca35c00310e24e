import fs from 'node:fs';

/** Descriptors kept back for what is not a client connection: SQLite, logs, peers, uploads. */
export const RESERVED_DESCRIPTORS = 512;
/** The cap when the descriptor limit cannot be read (not Linux). */
export const FALLBACK_MAX_CONNECTIONS = 10_000;

/**
 * The open-file limit of this process, from /proc/self/limits (node raises the soft limit to
 * the hard one at start, so this is what the process really has); undefined where unreadable.
 */
export function descriptorLimit(limitsText?: string): number | undefined {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/self/limits', 'utf8');
    } catch {
      return undefined;
    }
  }
  const soft = /^Max open files\s+(\S+)/m.exec(text)?.[1];
  const n = Number(soft);
  return Number.isInteger(n) && n > 0 ? n : undefined; // "unlimited" reads as no limit
}

/**
 * http.maxConnections resolved: a configured value wins; 0 (auto) keeps the listener below the
 * descriptor limit with room to spare, so idle connections cannot take the last descriptors
 * the database, the log and the internal calls need.
 */
export function connectionCap(configured: number, limit: number | undefined): number {
  if (configured > 0) return configured;
  if (limit === undefined) return FALLBACK_MAX_CONNECTIONS;
  return Math.max(64, limit - RESERVED_DESCRIPTORS);
}
