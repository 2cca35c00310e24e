import { create, fromBinary, fromJsonString, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { gateway } from '@mychat/protocol';
import { MyChatError } from './errors.js';

/** Any WebSocket class with the browser API: globalThis.WebSocket, or `ws`'s in Node. */
export type WebSocketConstructor = new (url: string) => object;

/** The part of the browser WebSocket API the SDK uses (ws's class has it too). */
interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: (() => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** Close codes the SDK uses for sockets it gives up on itself (never sent by the server). */
export const LocalClose = {
  /** close() was called, or the client is reconnecting on purpose. */
  NORMAL: 1000,
  /** No pong (or any frame) since the last ping. */
  DEAD: 4000,
  /** The socket did not open or authenticate in time. */
  TIMEOUT: 4001,
  /** The socket failed without a close frame (network). */
  ABNORMAL: 1006,
} as const;

/** The server's frame size limit when AuthOk does not say (servers before max_frame_bytes). */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024;

/** The close code a server sends after a frame over its size limit. */
export const MESSAGE_TOO_BIG = gateway.CloseCode.MESSAGE_TOO_BIG;

/**
 * The stable reason for a request that can never go out on the socket (its frame is over the
 * server's limit): resending it would only close the socket again.
 */
export const FRAME_TOO_LARGE_REASON = 'PAYLOAD_TOO_LARGE';

const tooLarge = (bytes: number, limit: number) =>
  new MyChatError(
    `this request is ${bytes} bytes; the server takes at most ${limit} per frame`,
    FRAME_TOO_LARGE_REASON,
  );

/** The socket closed: `code` is the WebSocket close code, `ended` the server's SessionEnded reason. */
export class SocketClosedError extends MyChatError {
  constructor(
    readonly code: number,
    readonly closeReason: string,
    readonly ended?: string,
  ) {
    super(`the connection closed (${code}${closeReason ? ` ${closeReason}` : ''})`, 'CONNECTION_LOST');
  }
}

/** A ClientFrame body (init form), e.g. `{ case: 'ping', value: { clientTimeMs } }`. */
export type FrameBody = NonNullable<MessageInitShape<typeof gateway.ClientFrameSchema>['body']>;

export interface WsConnectionOptions {
  url: string;
  WebSocket: WebSocketConstructor;
  /** Pushes (request id 0) and unmatched frames. */
  onPush(frame: gateway.ServerFrame): void;
  /** Called once when the socket is gone, whoever closed it. */
  onClose(err: SocketClosedError): void;
  /** The socket opened (before the auth frame went out). */
  onOpen?(): void;
}

/**
 * One WebSocket's lifetime: open, authenticate, heartbeat, request/answer by request id, and
 * pushes. It never reconnects; the ConnectionLoop makes a new one.
 */
export class WsConnection {
  private readonly ws: WebSocketLike;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    {
      resolve: (f: gateway.ServerFrame) => void;
      reject: (e: unknown) => void;
      timer: ReturnType<typeof setTimeout> | undefined;
      /** The request's encoded size: on a 1009 close the biggest one is the culprit. */
      bytes: number;
    }
  >();
  /** The server's frame limit, from AuthOk (requests over it are refused before sending). */
  private maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
  private closed: SocketClosedError | undefined;
  private ended: string | undefined;
  private lastFrameAt = 0;
  private lastPingAt = 0;
  private heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly opts: WsConnectionOptions) {
    this.ws = new opts.WebSocket(opts.url) as WebSocketLike;
    this.ws.binaryType = 'arraybuffer';
    this.ws.onopen = () => opts.onOpen?.();
    this.ws.onmessage = (ev) => this.receive(ev.data);
    this.ws.onclose = (ev) => this.finish(ev.code || LocalClose.ABNORMAL, ev.reason ?? '');
    this.ws.onerror = () => {
      /* a close event follows */
    };
  }

  /** Whether the socket is gone. */
  get isClosed(): boolean {
    return this.closed !== undefined;
  }

  /** Waits for the socket to open, sends Auth and resolves with AuthOk; rejects with SocketClosedError. */
  async authenticate(accessToken: string, timeoutMs: number): Promise<gateway.AuthOk> {
    const timer = setTimeout(() => this.terminate(LocalClose.TIMEOUT, 'open/auth timeout'), timeoutMs);
    try {
      await new Promise<void>((resolve, reject) => {
        if (this.closed) return reject(this.closed);
        if (this.ws.readyState === 1) return resolve();
        const prevOpen = this.ws.onopen;
        this.ws.onopen = () => {
          prevOpen?.();
          resolve();
        };
        this.whenClosed = reject;
      });
      const f = await this.request({ case: 'auth', value: { accessToken } }, timeoutMs);
      if (f.body.case !== 'authOk') throw new MyChatError('expected AuthOk', 'PROTOCOL');
      if (f.body.value.maxFrameBytes > 0) this.maxFrameBytes = f.body.value.maxFrameBytes;
      this.startHeartbeat(f.body.value);
      return f.body.value;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends a frame and resolves with its answer; a server Error frame rejects as MyChatError.
   * Without `timeoutMs` it waits until the answer comes or the socket closes (the server
   * answers every request, and the heartbeat closes a dead link). A frame over the server's
   * size limit is not sent: it rejects with PAYLOAD_TOO_LARGE and the socket stays open.
   */
  request(body: FrameBody, timeoutMs?: number): Promise<gateway.ServerFrame> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(this.closed);
      const requestId = this.nextId++;
      const bytes = encode(requestId, body);
      if (bytes.length > this.maxFrameBytes) return reject(tooLarge(bytes.length, this.maxFrameBytes));
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              this.waiting.delete(requestId);
              reject(new MyChatError('no answer from the server in time', 'TIMEOUT'));
            }, timeoutMs);
      this.waiting.set(requestId, { resolve, reject, timer, bytes: bytes.length });
      this.write(bytes);
    });
  }

  /**
   * Sends a frame that wants no answer (request id 0: `delivered`, `read`, `typing`).
   * False when the socket is closed.
   */
  notify(body: FrameBody): boolean {
    if (this.closed) return false;
    this.write(encode(0, body));
    return true;
  }

  /** Closes the socket (and reports it through onClose at once). */
  close(code: number = LocalClose.NORMAL, reason = ''): void {
    this.terminate(code, reason);
  }

  private whenClosed: ((e: SocketClosedError) => void) | undefined;

  private write(bytes: Uint8Array) {
    try {
      this.ws.send(bytes);
    } catch {
      this.terminate(LocalClose.ABNORMAL, 'send failed');
    }
  }

  private receive(data: unknown) {
    let frame: gateway.ServerFrame;
    try {
      frame =
        typeof data === 'string'
          ? fromJsonString(gateway.ServerFrameSchema, data, { ignoreUnknownFields: true })
          : fromBinary(gateway.ServerFrameSchema, new Uint8Array(data as ArrayBuffer));
    } catch {
      return this.terminate(gateway.CloseCode.PROTOCOL_ERROR, 'undecodable frame');
    }
    this.lastFrameAt = Date.now();
    if (frame.body.case === 'sessionEnded') this.ended = frame.body.value.reason;
    const w = frame.requestId ? this.waiting.get(frame.requestId) : undefined;
    if (!w) return this.opts.onPush(frame);
    this.waiting.delete(frame.requestId);
    clearTimeout(w.timer);
    if (frame.body.case === 'error') {
      const e = frame.body.value;
      w.reject(
        new MyChatError(
          e.message || e.reason,
          e.reason || 'UNKNOWN',
          undefined,
          e.retryAfterSeconds || undefined,
        ),
      );
    } else w.resolve(frame);
  }

  private startHeartbeat(ok: gateway.AuthOk) {
    const every = ok.heartbeatIntervalMs > 0 ? ok.heartbeatIntervalMs : 25_000;
    this.lastFrameAt = Date.now();
    this.heartbeat = setInterval(() => {
      // Nothing at all since the last ping (not even its pong): the link is dead, whatever TCP thinks.
      if (this.lastPingAt && this.lastFrameAt < this.lastPingAt)
        return this.terminate(LocalClose.DEAD, 'no pong');
      this.lastPingAt = Date.now();
      this.write(encode(0, { case: 'ping', value: { clientTimeMs: this.lastPingAt } }));
    }, every);
  }

  /** Marks the connection gone, tells the owner once, and rejects everything waiting. */
  private finish(code: number, reason: string) {
    if (this.closed) return;
    const err = (this.closed = new SocketClosedError(code, reason, this.ended));
    clearInterval(this.heartbeat);
    // 1009: the server's limit is below what it told us (or it never told us). The biggest
    // request in flight is the one it refused: it fails for good, so a resend rule cannot
    // loop on it; the rest are plain connection losses.
    let culprit: number | undefined;
    if (code === MESSAGE_TOO_BIG) {
      let biggest = 0;
      for (const [id, w] of this.waiting) if (w.bytes > biggest) [culprit, biggest] = [id, w.bytes];
    }
    for (const [id, w] of this.waiting) {
      clearTimeout(w.timer);
      w.reject(
        id === culprit
          ? new MyChatError(
              `the server closed the connection (1009): this request of ${w.bytes} bytes is over its frame limit`,
              FRAME_TOO_LARGE_REASON,
            )
          : err,
      );
    }
    this.waiting.clear();
    this.whenClosed?.(err);
    this.opts.onClose(err);
  }

  /** Gives up on the socket now: a dead link may take minutes to deliver its close event. */
  private terminate(code: number, reason: string) {
    if (this.closed) return;
    this.ws.onmessage = this.ws.onclose = this.ws.onopen = null;
    try {
      this.ws.close(
        code === LocalClose.NORMAL || (code >= 3000 && code <= 4999) ? code : LocalClose.NORMAL,
        reason,
      );
    } catch {
      /* already closing */
    }
    this.finish(code, reason);
  }
}

function encode(requestId: number, body: FrameBody): Uint8Array {
  return toBinary(gateway.ClientFrameSchema, create(gateway.ClientFrameSchema, { requestId, body }));
}
