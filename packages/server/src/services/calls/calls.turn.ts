import { createHmac } from 'node:crypto';

/** One entry of RTCConfiguration.iceServers. */
export interface IceServerOut {
  urls: string[];
  username: string;
  credential: string;
}

/**
 * A TURN REST credential (draft-uberti-behave-turn-rest, coturn's use-auth-secret): the
 * username is "<expiry epoch seconds>:<userId>", the password base64(HMAC-SHA1(secret,
 * username)). coturn recomputes it with the same secret and refuses it after the expiry, so
 * no password is stored anywhere and nothing long-lived reaches a client.
 */
export function turnCredential(
  secret: string,
  userId: string,
  nowMs: number,
  ttlSeconds: number,
): { username: string; credential: string; expiresAtMs: number } {
  const expiry = Math.floor(nowMs / 1000) + ttlSeconds;
  const username = `${expiry}:${userId}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, expiresAtMs: expiry * 1000 };
}

/** The ICE servers for one user: STUN as configured, TURN with a fresh credential. */
export function iceServersFor(
  c: { stunUrls: string[]; turnUrls: string[]; turnSecret: string; turnTtlSeconds: number },
  userId: string,
  nowMs: number,
): { iceServers: IceServerOut[]; expiresAtMs: number } {
  const iceServers: IceServerOut[] = [];
  if (c.stunUrls.length) iceServers.push({ urls: c.stunUrls, username: '', credential: '' });
  if (!c.turnUrls.length || !c.turnSecret) return { iceServers, expiresAtMs: 0 };
  const t = turnCredential(c.turnSecret, userId, nowMs, c.turnTtlSeconds);
  iceServers.push({ urls: c.turnUrls, username: t.username, credential: t.credential });
  return { iceServers, expiresAtMs: t.expiresAtMs };
}
