import { create } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import { calls, gateway } from '@mychat/protocol';
import { ErrorCode } from '../../kernel/errors.js';
import { errorFrame, serverFrame } from './ws-codec.js';

/** The calls service as the sockets reach it. */
export type SocketCalls = Client<typeof calls.CallsService>;

type CallBody = Extract<gateway.ClientFrame['body'], { case: 'startCall' | 'updateCall' | 'callSignal' }>;

/**
 * The call frames, forwarded to the calls service with the socket's verified identity (its
 * user and session: the device that rings, answers and receives signals). start_call and
 * update_call are answered with a call_event of kind "state"; call_signal with ok.
 */
export function callFrames(c: SocketCalls | undefined) {
  return async (
    id: number,
    body: CallBody,
    opts: { headers: Record<string, string> },
  ): Promise<gateway.ServerFrame> => {
    if (!c) return errorFrame(id, ErrorCode.UNKNOWN_FRAME, `frame type ${body.case} is not supported here`);
    const state = (call: calls.Call | undefined) =>
      serverFrame(id, { case: 'callEvent', value: create(calls.CallEventSchema, { call, kind: 'state' }) });
    switch (body.case) {
      case 'startCall':
        return state((await c.startCall(body.value, opts)).call);
      case 'updateCall':
        return state((await c.updateCall(body.value, opts)).call);
      case 'callSignal':
        await c.sendSignal(body.value, opts);
        return serverFrame(id, { case: 'ok', value: create(gateway.OkSchema) });
    }
  };
}
