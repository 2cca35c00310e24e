import { gateway } from '@mychat/protocol';

const C = gateway.CloseCode;

/**
 * The WebSocket close codes the gateway uses, named after the proto enum (the contract
 * clients read) plus the standard ones it needs that the contract has no reason to name.
 */
export const WsClose = {
  NORMAL: 1000,
  /** A frame ws could not take (bad UTF-8, a reserved opcode...): RFC 6455's protocol error. */
  PROTOCOL_VIOLATION: 1002,
  /** Our own failure (a bus subscription that could not be made). */
  INTERNAL_ERROR: 1011,
  MESSAGE_TOO_BIG: C.MESSAGE_TOO_BIG,
  SERVICE_RESTART: C.SERVICE_RESTART,
  PROTOCOL_ERROR: C.PROTOCOL_ERROR,
  UNAUTHENTICATED: C.UNAUTHENTICATED,
  HEARTBEAT_TIMEOUT: C.HEARTBEAT_TIMEOUT,
  KICKED: C.KICKED,
  SLOW_CONSUMER: C.SLOW_CONSUMER,
  TOO_MANY_SOCKETS: C.TOO_MANY_SOCKETS,
} as const;
