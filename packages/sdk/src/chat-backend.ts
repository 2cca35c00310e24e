import type { Client } from '@connectrpc/connect';
import type { message } from '@mychat/protocol';
import { MyChatError } from './errors.js';
import { toConversation, toMessage } from './mappers.js';
import type { ChatMessage, Conversation } from './types.js';

/** Runs an RPC with the caller's bearer token (AuthApi.authed). */
export type Authed = <T>(fn: (opts: { headers: Record<string, string> }) => Promise<T>) => Promise<T>;

export interface SyncResult {
  pts: number;
  /** Conversations that changed since the cursor (all of them from 0). */
  conversations: Conversation[];
  /** The last seq of every conversation the user is in. */
  heads: { conversationId: string; lastSeq: number }[];
}

/**
 * The server operations the sync engine needs, in plain objects. The real one speaks to
 * MessageService; unit tests plug in an in-memory fake.
 */
export interface ChatBackend {
  sync(sincePts: number): Promise<SyncResult>;
  /** With afterSeq (0 = from the start): seq > afterSeq, oldest first; otherwise the newest before beforeSeq (0: from the head). */
  history(req: {
    conversationId: string;
    afterSeq?: number;
    beforeSeq?: number;
    limit: number;
  }): Promise<{ messages: ChatMessage[]; hasMore: boolean }>;
  conversation(conversationId: string): Promise<Conversation>;
}

/** The ChatBackend over MessageService. */
export function rpcBackend(rpc: Client<typeof message.MessageService>, authed: Authed): ChatBackend {
  return {
    async sync(sincePts) {
      const r = await authed((h) => rpc.sync({ sincePts }, h));
      return {
        pts: r.pts,
        conversations: r.conversations.map(toConversation),
        heads: r.heads.map((h) => ({ conversationId: h.conversationId, lastSeq: h.lastSeq })),
      };
    },
    async history(req) {
      const r = await authed((h) =>
        rpc.getHistory(
          {
            conversationId: req.conversationId,
            // after_seq is optional on the wire: present (even 0) means forward from it.
            ...(req.afterSeq !== undefined && { afterSeq: req.afterSeq }),
            beforeSeq: req.beforeSeq ?? 0,
            limit: req.limit,
          },
          h,
        ),
      );
      return { messages: r.messages.map(toMessage), hasMore: r.hasMore };
    },
    async conversation(conversationId) {
      const r = await authed((h) => rpc.getConversation({ conversationId }, h));
      if (!r.conversation) throw new MyChatError('the server sent no conversation', 'UNKNOWN');
      return toConversation(r.conversation);
    },
  };
}
