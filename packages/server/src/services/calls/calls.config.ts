import { cfg } from '../../kernel/config.js';

/** The calls module's settings (`calls.*`, MYCHAT_CALLS_*). */
export const callsConfigSchema = cfg.group({
  /** Unanswered ringing stops after this many seconds (the call ends as no answer). */
  ringTimeoutSeconds: cfg.int(45, 5, 600),
  /**
   * A joined device that sent no keep-alive (nor any other action) for this many seconds is
   * dropped; clients send one every third of it.
   */
  dropAfterSeconds: cfg.int(15, 3, 300),
  /** A dropped participant may rejoin for this many seconds; then they have left the call. */
  rejoinWindowSeconds: cfg.int(30, 0, 600),
  /** Most people in one call at once (every pair is a WebRTC connection: a mesh). */
  maxParticipants: cfg.int(4, 2, 8),
  /** Groups with more members than this cannot start a call (every member's devices ring). */
  maxGroupMembers: cfg.int(32, 2, 500),
  /** Calls one user may start per minute. */
  ringsPerMinute: cfg.int(10, 1, 1000),
  /** Calls one user may start to the same conversation per minute. */
  ringsPerConversationPerMinute: cfg.int(3, 1, 1000),
  /** Signals (session descriptions, ICE candidates) one device may send per call per 10 seconds. */
  signalsPer10Seconds: cfg.int(400, 10, 100_000),
  /** STUN servers handed to clients (e.g. stun:turn.example.com:3478). */
  stunUrls: cfg.list([]),
  /**
   * TURN servers handed to clients with credentials minted per user (turn:host:3478?transport=udp,
   * turns:host:443?transport=tcp). Empty: no relay (calls work where the browsers reach each other,
   * e.g. on one LAN).
   */
  turnUrls: cfg.list([]),
  /**
   * The secret shared with coturn (its static-auth-secret, with use-auth-secret): TURN
   * credentials are "<expiry>:<userId>" and base64(HMAC-SHA1(secret, username)). Required when
   * turnUrls is set.
   */
  turnSecret: cfg.str(''),
  /** How long minted TURN credentials stay valid, seconds. */
  turnTtlSeconds: cfg.int(3600, 60, 86_400),
});

export type CallsConfig = ReturnType<(typeof callsConfigSchema)['parse']>;
