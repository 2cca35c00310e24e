/**
 * The memory one HTTP/2 connection may hold, MB. Node's default (10) protects against
 * untrusted peers; a gateway is a trusted peer that multiplexes thousands of calls on one
 * connection, and under load (a reconnect storm after a gateway died) the default made the
 * server refuse streams and then close the whole session (GOAWAY INTERNAL_ERROR), failing
 * every call on it at once. The same for both ends: the hub's gRPC clients and the internal
 * server (its own file, so that neither imports the other for it).
 */
export const INTERNAL_SESSION_MEMORY_MB = 512;
