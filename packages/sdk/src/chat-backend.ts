import type { Client } from '@connectrpc/connect';
import type { gateway, message } from '@mychat/protocol';
import { MyChatError } from './errors.js';
import { toConversation, toMessage } from './mappers.js';
import type { ChatMessage, Conversation } from './types.js';
import type { FrameBody, WsConnection } from './ws-connection.js';

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
    /** One of my encrypted-chat devices: encrypted messages carry only the wrapped keys it can use. */
    e2eeDeviceId?: string;
    /** Seqs whose opened bodies this device keeps: their encrypted messages come without their sealed bytes. */
    e2eeKept?: { fromSeq: number; toSeq: number };
  }): Promise<{ messages: ChatMessage[]; hasMore: boolean }>;
  conversation(conversationId: string): Promise<Conversation>;
}

type HistoryRequest = Parameters<ChatBackend['history']>[0];

const syncResult = (r: message.SyncResponse): SyncResult => ({
  pts: r.pts,
  conversations: r.conversations.map(toConversation),
  heads: r.heads.map((h) => ({ conversationId: h.conversationId, lastSeq: h.lastSeq })),
});

const historyRequest = (req: HistoryRequest) => ({
  conversationId: req.conversationId,
  // after_seq is optional on the wire: present (even 0) means forward from it.
  ...(req.afterSeq !== undefined && { afterSeq: req.afterSeq }),
  beforeSeq: req.beforeSeq ?? 0,
  limit: req.limit,
  ...(req.e2eeDeviceId && { e2eeDeviceId: req.e2eeDeviceId }),
  ...(req.e2eeKept && { e2eeKept: req.e2eeKept }),
});

const historyPage = (r: message.GetHistoryResponse) => ({
  messages: r.messages.map(toMessage),
  hasMore: r.hasMore,
});

/**
 * Sync and history on the authenticated socket when there is one (catching up after a
 * reconnect then costs no HTTP request per page), over MessageService otherwise: before the
 * first connect, when the socket drops mid-request, and for a server too old to know the
 * frames (it answers UNKNOWN_FRAME; remembered for this client's life).
 */
export function socketFirstBackend(
  rpc: Client<typeof message.MessageService>,
  authed: Authed,
  socket: () => WsConnection | undefined,
): ChatBackend {
  const viaRpc = rpcBackend(rpc, authed);
  let socketKnowsSync = true;
  const onSocket = async <T>(
    body: FrameBody,
    answer: (f: gateway.ServerFrame) => T | undefined,
    fallback: () => Promise<T>,
  ): Promise<T> => {
    const conn = socketKnowsSync ? socket() : undefined;
    if (!conn) return fallback();
    try {
      const f = await conn.request(body);
      const r = answer(f);
      if (r === undefined) throw new MyChatError(`unexpected answer ${f.body.case ?? 'none'}`, 'PROTOCOL');
      return r;
    } catch (e) {
      if (!(e instanceof MyChatError)) throw e;
      if (e.reason === 'UNKNOWN_FRAME') socketKnowsSync = false;
      else if (e.reason !== 'CONNECTION_LOST') throw e;
      return fallback();
    }
  };
  return {
    sync: (sincePts) =>
      onSocket(
        { case: 'sync', value: { sincePts } },
        (f) => (f.body.case === 'sync' ? syncResult(f.body.value) : undefined),
        () => viaRpc.sync(sincePts),
      ),
    history: (req) =>
      onSocket(
        { case: 'history', value: historyRequest(req) },
        (f) => (f.body.case === 'history' ? historyPage(f.body.value) : undefined),
        () => viaRpc.history(req),
      ),
    conversation: (id) => viaRpc.conversation(id),
  };
}

/** The ChatBackend over MessageService. */
export function rpcBackend(rpc: Client<typeof message.MessageService>, authed: Authed): ChatBackend {
  return {
    async sync(sincePts) {
      return syncResult(await authed((h) => rpc.sync({ sincePts }, h)));
    },
    async history(req) {
      return historyPage(await authed((h) => rpc.getHistory(historyRequest(req), h)));
    },
    async conversation(conversationId) {
      const r = await authed((h) => rpc.getConversation({ conversationId }, h));
      if (!r.conversation) throw new MyChatError('the server sent no conversation', 'UNKNOWN');
      return toConversation(r.conversation);
    },
  };
}
