import type { Bus, BusSubscription } from '../../adapters/bus/bus.js';
import type { Logger } from '../../kernel/logger.js';
import { decodePushEnvelope, userChannel } from '../../contracts/push-envelope.js';
import { peekFrameType } from './ws-codec.js';
import { lazyJson, type WsConnection } from './ws-connection.js';

/** A PushEnvelope decoded, with what every socket it goes to shares. */
interface DecodedPush {
  frame: Uint8Array;
  exceptSessionId: string;
  type: string;
  json: () => string;
}

interface LocalUser {
  sockets: Set<WsConnection>;
  subscription: Promise<BusSubscription>;
}

export interface LocalUsersOptions {
  bus: Bus;
  logger: Logger;
  /** Counts each socket a push was written to. */
  delivered(): void;
}

/**
 * The users with sockets on this gateway, and one bus subscription per user
 * (`u:{userId}`), shared by all of the user's sockets: made with the first, dropped with
 * the last. Subscribing to the channels of the users we hold is what routes pushes here;
 * there is no user-to-gateway table to go stale (ARCHITECTURE section 6.4).
 */
export class LocalUsers {
  private readonly users = new Map<string, LocalUser>();
  /**
   * The in-process bus hands one payload object to every member's channel of a group push,
   * one after another: the last one decoded serves them all (a payload off the network is a
   * new object each time). Not a WeakMap of payloads: the young entries of an old WeakMap
   * survive V8's scavenges, and they were a good part of what the server promoted.
   */
  private last: { payload: Uint8Array; push: DecodedPush } | undefined;

  constructor(private readonly o: LocalUsersOptions) {}

  /** Users with at least one socket here. */
  get size(): number {
    return this.users.size;
  }

  /**
   * Counts an authenticated socket under its user. Resolves once the user's channel is
   * subscribed, so a push published after the client sees AuthOk reaches it. Rejects
   * when the subscription cannot be made (the socket stays counted; `remove` it).
   */
  async add(conn: WsConnection): Promise<void> {
    const userId = conn.userId!;
    let user = this.users.get(userId);
    if (!user) {
      const subscription = this.o.bus.subscribe(userChannel(userId), (payload) => this.push(userId, payload));
      user = { sockets: new Set(), subscription };
      this.users.set(userId, user);
      // A failed subscribe is reported to the socket that waits on it; a later socket
      // of the same user retries instead of inheriting the failure.
      subscription.catch(() => {
        if (this.users.get(userId)?.subscription === subscription) this.users.delete(userId);
      });
    }
    user.sockets.add(conn);
    conn.registered = true;
    await user.subscription;
  }

  /** Uncounts a socket; true when it was the user's last one here (the channel is dropped). */
  remove(conn: WsConnection): boolean {
    if (!conn.registered) return false;
    conn.registered = false;
    const userId = conn.userId!;
    const user = this.users.get(userId);
    if (!user) return true;
    user.sockets.delete(conn);
    if (user.sockets.size > 0) return false;
    this.users.delete(userId);
    void this.unsubscribe(userId, user.subscription);
    return true;
  }

  /** The user's sockets here, in any phase. */
  socketsOf(userId: string): readonly WsConnection[] {
    return [...(this.users.get(userId)?.sockets ?? [])];
  }

  has(userId: string): boolean {
    return (this.users.get(userId)?.sockets.size ?? 0) > 0;
  }

  /** Drops every subscription (shutdown). */
  async clear(): Promise<void> {
    const all = [...this.users];
    this.users.clear();
    await Promise.all(all.map(([id, u]) => this.unsubscribe(id, u.subscription)));
  }

  private async unsubscribe(userId: string, subscription: Promise<BusSubscription>): Promise<void> {
    try {
      await (await subscription).unsubscribe();
    } catch (err) {
      this.o.logger.warn({ err, user_id: userId }, 'could not drop a user channel subscription');
    }
  }

  /**
   * Forwards one PushEnvelope to the user's open sockets. The frame's bytes go out as they
   * came (one encode at the publisher, none here); only text sockets pay for JSON.
   */
  private push(userId: string, payload: Uint8Array): void {
    const user = this.users.get(userId);
    if (!user) return;
    let push = this.last?.payload === payload ? this.last.push : undefined;
    if (!push) {
      let envelope: { frame: Uint8Array; exceptSessionId: string };
      try {
        envelope = decodePushEnvelope(payload);
      } catch (err) {
        this.o.logger.warn({ err, user_id: userId }, 'dropped an undecodable push envelope');
        return;
      }
      const { frame, exceptSessionId } = envelope;
      push = { frame, exceptSessionId, type: peekFrameType(frame), json: lazyJson(frame) };
      this.last = { payload, push };
    }
    const { frame, exceptSessionId, type, json } = push;
    for (const conn of user.sockets) {
      if (exceptSessionId && conn.caller?.sessionId === exceptSessionId) continue;
      try {
        if (conn.sendEncoded(frame, type, json)) this.o.delivered();
      } catch (err) {
        // A frame that cannot be turned into JSON must not stop delivery to the others.
        conn.log.warn({ err }, 'could not forward a push');
      }
    }
  }
}
