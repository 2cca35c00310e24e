import type { gateway } from '@mychat/protocol';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { Logger } from '../../kernel/logger.js';
import type { Caller } from '../../rpc/call-context.js';
import { binaryFrameToJson, encodeServerFrame, type Wire } from './ws-codec.js';
import { WsClose } from './ws-close-codes.js';

/**
 * Where a socket is in its life. Only `open` sockets get pushes or have requests handled;
 * `authenticating` sockets are already registered under their user so a session ended
 * while the token is being checked still reaches them.
 */
export type ConnectionPhase = 'awaiting-auth' | 'authenticating' | 'open' | 'closing' | 'closed';

/** What a connection reports to the gateway (metrics and slow-consumer policy). */
export interface ConnectionHooks {
  maxQueuedBytes: number;
  /** Monotonic time, ms. */
  now(): number;
  sent(type: string): void;
}

/**
 * One client socket. The gateway owns the lifecycle; this class keeps the per-socket state
 * and makes sending safe: nothing goes to a socket that is not open, and a socket whose
 * outbound queue grows past the cap is closed as a slow consumer instead of buffering on.
 */
export class WsConnection {
  phase: ConnectionPhase = 'awaiting-auth';
  /** Chosen by the Auth frame: answers and pushes go out in the same form. */
  wire: Wire = 'binary';
  caller: Caller | undefined;
  /** Monotonic ms of the last frame from the client (any frame counts as life). */
  lastFrameAt: number;
  readonly openedAt: number;
  /** Monotonic ms when we started closing; a socket that lingers is terminated. */
  closingAt = 0;
  /** The close code we chose (ws reports the peer's echo, or 1006 after a terminate). */
  closeCode: number | undefined;
  /** Requests being handled now. */
  inFlight = 0;
  /** Frames that arrived while the Auth frame was being verified, replayed after AuthOk. */
  readonly early: { data: Buffer; isBinary: boolean }[] = [];
  /** When the token that authenticated the socket expires, epoch ms (0: never); see the sweep. */
  expiresAt = 0;
  /** Set once the socket is counted under its user (subscription and presence). */
  registered = false;
  log: Logger;
  /** Whether this turn's frames are being gathered for one write (see `write`). */
  private corked = false;

  constructor(
    readonly id: number,
    readonly ws: WebSocket,
    readonly clientIp: string,
    log: Logger,
    private readonly hooks: ConnectionHooks,
  ) {
    this.openedAt = this.lastFrameAt = hooks.now();
    this.log = log;
  }

  get userId(): string | undefined {
    return this.caller?.userId;
  }

  /** Sends a frame unless the socket is going away; false when it was not sent. */
  send(frame: gateway.ServerFrame): boolean {
    if (!this.writable()) return false;
    this.write(encodeServerFrame(frame, this.wire), frame.body.case ?? 'none');
    return true;
  }

  /**
   * Sends an already encoded ServerFrame (a push). Binary sockets get the bytes as they
   * came off the bus; text sockets get JSON, built once per push by `json`.
   */
  sendEncoded(bytes: Uint8Array, type: string, json: () => string): boolean {
    if (this.phase !== 'open' || !this.writable()) return false;
    this.write(this.wire === 'binary' ? bytes : json(), type);
    return true;
  }

  /** Starts the close handshake with a named code; later calls do nothing. */
  close(code: number, reason: string): void {
    if (this.phase === 'closing' || this.phase === 'closed') return;
    this.phase = 'closing';
    this.closingAt = this.hooks.now();
    this.closeCode = code;
    this.log.debug({ close_code: code, reason }, 'closing socket');
    // The protocol caps a close reason at 123 bytes; ws throws beyond that.
    this.ws.close(code, Buffer.from(reason).subarray(0, 120).toString());
  }

  /** Cuts the TCP connection without a handshake (a peer that will not finish closing). */
  terminate(): void {
    this.ws.terminate();
  }

  /** True when the outbound queue is over the cap. */
  overQueued(): boolean {
    return this.ws.bufferedAmount > this.hooks.maxQueuedBytes;
  }

  private writable(): boolean {
    return this.phase !== 'closing' && this.phase !== 'closed' && this.ws.readyState === this.ws.OPEN;
  }

  private write(data: Uint8Array | string, type: string): void {
    if (!this.corked) {
      // Frames written to this socket in the same turn of the event loop (an answer, pushes
      // of a group commit, a receipt) leave in one system call instead of one each.
      const socket = (this.ws as unknown as { _socket?: Socket })._socket;
      if (socket && !socket.destroyed) {
        socket.cork();
        this.corked = true;
        process.nextTick(() => {
          this.corked = false;
          socket.uncork();
        });
      }
    }
    this.ws.send(data, { binary: typeof data !== 'string' });
    this.hooks.sent(type);
    if (this.overQueued()) {
      this.log.warn({ buffered: this.ws.bufferedAmount }, 'slow consumer: outbound queue over the cap');
      this.close(WsClose.SLOW_CONSUMER, 'slow consumer');
    }
  }
}

/** Lazily converts one pushed frame to JSON, at most once for all text sockets. */
export function lazyJson(bytes: Uint8Array): () => string {
  let json: string | undefined;
  return () => (json ??= binaryFrameToJson(bytes));
}
