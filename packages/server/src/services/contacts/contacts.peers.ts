import { create } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import { type auth, gateway, type message } from '@mychat/protocol';
import type { Bus } from '../../adapters/bus/bus.js';
import { AppError, ErrorCode } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';
import { callHeaders } from '../../rpc/call-context.js';
import { pushToUsers } from '../../contracts/push-envelope.js';

/** Who is acting, and the request id that follows the call into other services and logs. */
export interface Actor {
  userId: string;
  sessionId: string;
  requestId: string;
}

/** The public face of a user, as the directory gives it. */
export interface Card {
  id: string;
  nickname: string;
  avatarUrl: string;
  signature: string;
}

const LOOKUP_BATCH = 500;

/** Profiles, from the auth service's UserDirectoryService. */
export class Directory {
  constructor(private readonly client: Client<typeof auth.UserDirectoryService>) {}

  async lookup(ids: Iterable<string>, requestId: string): Promise<Map<string, Card>> {
    const all = [...new Set(ids)];
    const out = new Map<string, Card>();
    for (let i = 0; i < all.length; i += LOOKUP_BATCH) {
      const res = await this.client.lookupUsers(
        { userIds: all.slice(i, i + LOOKUP_BATCH) },
        { headers: callHeaders({ requestId }) },
      );
      for (const u of res.users) out.set(u.id, card(u));
    }
    return out;
  }

  async exists(id: string, requestId: string): Promise<boolean> {
    return (await this.lookup([id], requestId)).has(id);
  }

  async find(query: string, limit: number, requestId: string): Promise<Card[]> {
    const res = await this.client.findUsers({ query, limit }, { headers: callHeaders({ requestId }) });
    return res.users.map(card);
  }
}

const card = (u: auth.User): Card => ({
  id: u.id,
  nickname: u.nickname,
  avatarUrl: u.avatarUrl,
  signature: u.signature,
});

export interface GroupState {
  conversationId: string;
  name: string;
  mutedAll: boolean;
  members: { userId: string; role: number; mutedUntilMs: number }[];
  event?: { kind: string; args: Record<string, string> };
  actorId: string;
}

/**
 * The message service's view of who may send where. Both calls carry complete state and
 * are idempotent, so calling again after a failure repairs. A failure surfaces as
 * UNAVAILABLE: the contacts change is saved and the repair loop finishes the job.
 */
export class Conversations {
  constructor(
    private readonly client: Client<typeof message.MessageInternalService>,
    private readonly logger: Logger,
  ) {}

  async applyDirect(
    p: {
      userA: string;
      userB: string;
      aCanSend: boolean;
      bCanSend: boolean;
      aReason: string;
      bReason: string;
      /** Written by the message service once, when this apply makes the pair friends. */
      event?: { kind: string; args: Record<string, string> };
    },
    requestId: string,
  ): Promise<string> {
    try {
      const res = await this.client.applyDirect(p, { headers: callHeaders({ requestId }) });
      return res.conversationId;
    } catch (err) {
      throw this.unavailable(err, 'applyDirect', requestId);
    }
  }

  async applyGroup(s: GroupState, requestId: string): Promise<void> {
    try {
      await this.client.applyGroup(s, { headers: callHeaders({ requestId }) });
    } catch (err) {
      throw this.unavailable(err, 'applyGroup', requestId);
    }
  }

  private unavailable(err: unknown, rpc: string, requestId: string): AppError {
    this.logger.warn({ err, rpc, request_id: requestId }, 'message service call failed; will retry');
    return new AppError(
      ErrorCode.UNAVAILABLE,
      'the change is saved but chats are not updated yet; it will complete shortly',
    );
  }
}

/** Kinds of ContactEvent pushes. */
export type ContactEventKind =
  'friend_request' | 'friend_added' | 'friend_removed' | 'group_joined' | 'group_left' | 'group_changed';

/** Tells users' live sockets that something changed. Best effort: a failure is logged, not raised. */
export class ContactPush {
  constructor(
    private readonly bus: Bus,
    private readonly logger: Logger,
  ) {}

  async send(
    userIds: Iterable<string>,
    kind: ContactEventKind,
    about: { userId?: string; groupId?: string; requestId?: string } = {},
    exceptSessionId = '',
  ): Promise<void> {
    const frame = create(gateway.ServerFrameSchema, {
      body: {
        case: 'contact',
        value: {
          kind,
          userId: about.userId ?? '',
          groupId: about.groupId ?? '',
          requestId: about.requestId ?? '',
        },
      },
    });
    try {
      await pushToUsers(this.bus, userIds, frame, exceptSessionId);
    } catch (err) {
      this.logger.warn({ err, kind }, 'contact push failed');
    }
  }
}
