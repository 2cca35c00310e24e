import { randomUUID } from 'node:crypto';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import { calls as pb, gateway, type message } from '@mychat/protocol';
import type { Bus } from '../../adapters/bus/bus.js';
import { pushToUsers } from '../../contracts/push-envelope.js';
import type { Logger } from '../../kernel/logger.js';
import { currentRequest } from '../../kernel/request-context.js';
import { callHeaders } from '../../rpc/call-context.js';
import type { CallEventOut, CallState } from './calls.machine.js';
import { callView } from './calls.views.js';

/** The request being handled, or a fresh id for the timers' work. */
const requestId = () => currentRequest()?.requestId ?? randomUUID();

/** What calls asks of the message service. */
export class CallMessages {
  constructor(private readonly client: Client<typeof message.MessageInternalService>) {}

  /** Who the user may call in a conversation: the rule of who may send there. */
  async context(
    convId: string,
    userId: string,
  ): Promise<{ type: number; state: string; memberIds: string[] }> {
    const r = await this.client.getCallContext(
      { conversationId: convId, userId },
      { headers: callHeaders({ requestId: requestId() }) },
    );
    return { type: r.type, state: r.state, memberIds: r.memberIds };
  }

  /** The call's record in the chat, from the initiator. */
  async record(
    convId: string,
    senderId: string,
    record: MessageInitShape<typeof message.CallRecordContentSchema>,
  ): Promise<void> {
    await this.client.writeCallRecord(
      { conversationId: convId, senderId, record },
      { headers: callHeaders({ requestId: requestId() }) },
    );
  }
}

/** Call events and signals to the participants' sockets, on whichever gateways they are. */
export class CallPush {
  constructor(
    private readonly bus: Bus,
    private readonly logger: Logger,
  ) {}

  async event(userIds: readonly string[], call: CallState, e: CallEventOut): Promise<void> {
    const value = create(pb.CallEventSchema, {
      call: callView(call),
      kind: e.kind,
      userId: e.userId,
      sessionId: e.sessionId,
    });
    const frame = create(gateway.ServerFrameSchema, { body: { case: 'callEvent', value } });
    try {
      await pushToUsers(this.bus, userIds, frame);
    } catch (err) {
      this.logger.warn({ err, call_id: call.id }, 'call event push failed');
    }
  }

  async signal(userId: string, s: MessageInitShape<typeof pb.CallSignalSchema>): Promise<void> {
    const frame = create(gateway.ServerFrameSchema, {
      body: { case: 'callSignal', value: create(pb.CallSignalSchema, s) },
    });
    await pushToUsers(this.bus, [userId], frame);
  }
}
