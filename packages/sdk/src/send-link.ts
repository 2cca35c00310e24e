import type { Client } from '@connectrpc/connect';
import type { message } from '@mychat/protocol';
import type { Authed } from './chat-backend.js';
import type { ConnectionLoop } from './connection-loop.js';
import { MyChatError } from './errors.js';
import { fromContent, toMessage } from './mappers.js';
import type { SendLink } from './outbox.js';

/**
 * Sends over the live socket (the ack comes only after the message is durable; see below for
 * why it has no timeout there). A client that
 * was never connected (a script that only sends) uses SendMessage over RPC instead; one that is
 * connecting or reconnecting waits until it is live again.
 */
export function createSendLink(deps: {
  loop: ConnectionLoop;
  rpc: Client<typeof message.MessageService>;
  authed: Authed;
  ackTimeoutMs: number;
}): SendLink {
  return {
    async send(entry) {
      const req = {
        conversationId: entry.conversationId,
        clientMsgId: entry.clientMsgId,
        content: fromContent(entry.content),
        replyToSeq: entry.replyToSeq,
        mentionUserIds: entry.mentionUserIds,
        mentionAll: entry.mentionAll,
        ...(entry.forwardedFrom && { forwardedFrom: entry.forwardedFrom }),
      };
      let r: message.SendMessageResponse;
      if (deps.loop.state === 'idle') {
        r = await deps.authed((h) => deps.rpc.sendMessage(req, { ...h, timeoutMs: deps.ackTimeoutMs }));
      } else {
        const conn = await deps.loop.whenLive();
        // No ack timeout on the socket: the server answers every request (an error at the
        // latest when its own deadline passes), so an ack that is late is queued there, not
        // lost. Sending again meanwhile only added work to an overloaded server (each
        // timeout another copy in its queue). A send is repeated only after the socket is
        // gone (CONNECTION_LOST), on the next one.
        const f = await conn.request({ case: 'send', value: req });
        if (f.body.case !== 'sendAck') throw new MyChatError('expected a send ack', 'PROTOCOL');
        r = f.body.value;
      }
      if (!r.message) throw new MyChatError('the server sent no message', 'PROTOCOL');
      return { message: toMessage(r.message), duplicate: r.duplicate };
    },
  };
}
