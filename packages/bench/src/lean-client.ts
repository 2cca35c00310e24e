/**
 * A lean MyChat device for thousands of connections: one WebSocket, the protocol's own
 * generated codec (binary ClientFrame/ServerFrame), auth first, pushes decoded, `delivered`
 * cursors acknowledged in batches as docs/protocol.md asks, pings on the heartbeat. It keeps
 * no store; the scenario gets each pushed message through `onMessage`.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { gateway, message } from '@mychat/protocol';
import { WebSocket } from 'ws';

/** RFC 6455 normal closure: the benchmark is done with this socket. */
const NORMAL_CLOSURE = 1000;

const { ClientFrameSchema, ServerFrameSchema } = gateway;

export interface Pushed {
  conversationId: string;
  seq: number;
  senderId: string;
  text: string;
}

export interface LeanOptions {
  /** HTTP base URL of the gateway (ws:// is derived). */
  url: string;
  accessToken: string;
  /** Source address for the TCP connection (127.0.0.x spreads ephemeral ports). */
  localAddress?: string;
  onMessage?: (m: Pushed) => void;
  /** Every other push (moment hints and notices, presence, ...), decoded. */
  onPush?: (f: gateway.ServerFrame) => void;
  /** How long cursors gather before `delivered` frames go out, ms. */
  ackDelayMs?: number;
}

const refused = (what: string, f: gateway.ServerFrame) =>
  new Error(
    f.body.case === 'error' ? `${what} refused: ${f.body.value.reason}` : `unexpected ${f.body.case}`,
  );

/** Every authenticated client of this process, pinged on the heartbeat from the moment it is in. */
const live = new Set<LeanClient>();
let heartbeat: NodeJS.Timeout | undefined;
let heartbeatMs = Infinity;

/** How often the heartbeat looks for clients due a ping, ms. */
const HEARTBEAT_TICK_MS = 250;
/** When each client pings next (performance.now() ms). */
const pingAt = new Map<LeanClient, number>();

/**
 * Pings at two thirds of the shortest interval any server asked for (auth_ok), each client
 * at its own phase, spread over the interval as real devices are: pinging every client in
 * the same tick made 10 000 pings arrive at once, a stall no real population causes.
 */
function track(c: LeanClient, intervalMs: number): void {
  live.add(c);
  const every = Math.max(50, Math.floor((intervalMs * 2) / 3));
  if (every < heartbeatMs) {
    heartbeatMs = every;
    clearInterval(heartbeat); // a shorter interval needs a faster tick
    heartbeat = undefined;
  }
  pingAt.set(c, performance.now() + Math.random() * heartbeatMs);
  heartbeat ??= setInterval(
    () => {
      const now = performance.now();
      for (const [x, at] of pingAt) {
        if (at > now) continue;
        pingAt.set(x, now + heartbeatMs);
        x.ping();
      }
    },
    Math.min(HEARTBEAT_TICK_MS, heartbeatMs),
  ).unref();
}

function untrack(c: LeanClient): void {
  live.delete(c);
  pingAt.delete(c);
  if (live.size === 0 && heartbeat) {
    clearInterval(heartbeat);
    heartbeat = undefined;
    heartbeatMs = Infinity;
  }
}

/** A connected, authenticated device. */
export class LeanClient {
  userId = '';
  /** The close code once the socket has closed. */
  closeCode: number | undefined;
  private ws!: WebSocket;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { ok: (f: gateway.ServerFrame) => void; fail: (e: Error) => void }
  >();
  private readonly cursors = new Map<string, number>();
  private ackTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(private readonly o: LeanOptions) {}

  static async connect(o: LeanOptions): Promise<LeanClient> {
    const c = new LeanClient(o);
    await c.open();
    return c;
  }

  private open(): Promise<void> {
    const wsUrl = this.o.url.replace(/^http/, 'ws') + '/ws';
    const ws = new WebSocket(wsUrl, {
      perMessageDeflate: false,
      ...(this.o.localAddress && { localAddress: this.o.localAddress }),
    });
    this.ws = ws;
    ws.binaryType = 'nodebuffer';
    return new Promise((resolve, reject) => {
      const fail = (e: Error) => {
        this.failAll(e);
        reject(e);
      };
      ws.once('error', fail);
      ws.once('close', (code) => {
        this.closed = true;
        this.closeCode = code;
        untrack(this);
        fail(new Error(`socket closed (${code})`));
      });
      ws.on('message', (data: Buffer) => this.onFrame(data));
      ws.once('open', () => {
        this.request({
          case: 'auth',
          value: create(gateway.AuthSchema, { accessToken: this.o.accessToken }),
        }).then((f) => {
          if (f.body.case !== 'authOk') return fail(new Error(`auth refused: ${f.body.case}`));
          this.userId = f.body.value.userId;
          track(this, f.body.value.heartbeatIntervalMs || 30_000);
          ws.off('error', fail);
          ws.on('error', () => undefined);
          resolve();
        }, fail);
      });
    });
  }

  get isOpen(): boolean {
    return !this.closed && this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends a text message; resolves with its seq once the server has stored it (send_ack). */
  async sendText(conversationId: string, clientMsgId: string, text: string): Promise<number> {
    const f = await this.request({
      case: 'send',
      value: create(message.SendMessageRequestSchema, {
        conversationId,
        clientMsgId,
        content: { body: { case: 'text', value: { text } } },
      }),
    });
    if (f.body.case === 'sendAck') return f.body.value.message?.seq ?? 0;
    throw refused('send', f);
  }

  /** Sync on the socket (docs/protocol.md 4.3): the heads of every conversation. */
  async sync(sincePts: number): Promise<message.SyncResponse> {
    const f = await this.request({ case: 'sync', value: create(message.SyncRequestSchema, { sincePts }) });
    if (f.body.case === 'sync') return f.body.value;
    throw refused('sync', f);
  }

  /** One GetHistory page on the socket, oldest first from `afterSeq`. */
  async history(
    conversationId: string,
    afterSeq: number,
    limit: number,
  ): Promise<message.GetHistoryResponse> {
    const f = await this.request({
      case: 'history',
      value: create(message.GetHistoryRequestSchema, { conversationId, afterSeq, limit }),
    });
    if (f.body.case === 'history') return f.body.value;
    throw refused('history', f);
  }

  ping(): void {
    if (this.isOpen) {
      this.write({ case: 'ping', value: create(gateway.PingSchema, { clientTimeMs: Date.now() }) }, 0);
    }
  }

  close(): Promise<void> {
    clearTimeout(this.ackTimer);
    if (this.closed || this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((r) => {
      this.ws.once('close', () => r());
      this.ws.close(NORMAL_CLOSURE);
    });
  }

  /** One answered ping (a clock sample's server side): when the server got it and answered. */
  async clockPing(clientTimeMs: number): Promise<{ serverRecvMs: number; serverSendMs: number }> {
    const f = await this.request({ case: 'ping', value: create(gateway.PingSchema, { clientTimeMs }) });
    if (f.body.case !== 'pong') throw refused('ping', f);
    return { serverRecvMs: f.body.value.serverRecvMs, serverSendMs: f.body.value.serverSendMs };
  }

  private request(body: gateway.ClientFrame['body']): Promise<gateway.ServerFrame> {
    const id = this.nextId++;
    return new Promise((ok, fail) => {
      this.waiting.set(id, { ok, fail });
      this.write(body, id);
    });
  }

  private write(body: gateway.ClientFrame['body'], requestId: number): void {
    this.ws.send(toBinary(ClientFrameSchema, create(ClientFrameSchema, { requestId, body })));
  }

  private onFrame(data: Buffer): void {
    const f = fromBinary(ServerFrameSchema, data);
    if (f.requestId) {
      const w = this.waiting.get(f.requestId);
      this.waiting.delete(f.requestId);
      w?.ok(f);
      return;
    }
    if (f.body.case !== 'message') return this.o.onPush?.(f);
    const m = f.body.value;
    const text = m.content?.body.case === 'text' ? m.content.body.value.text : '';
    this.o.onMessage?.({ conversationId: m.conversationId, seq: m.seq, senderId: m.senderId, text });
    if (m.senderId !== this.userId) this.cursor(m.conversationId, m.seq);
  }

  /** Remembers the highest seq per conversation and acknowledges them together. */
  private cursor(conversationId: string, seq: number): void {
    if ((this.cursors.get(conversationId) ?? 0) < seq) this.cursors.set(conversationId, seq);
    this.ackTimer ??= setTimeout(() => {
      this.ackTimer = undefined;
      if (!this.isOpen) return;
      for (const [conv, s] of this.cursors) {
        this.write(
          {
            case: 'delivered',
            value: create(message.MarkDeliveredRequestSchema, { conversationId: conv, seq: s }),
          },
          0, // fire and forget, as the SDK does: no answer comes
        );
      }
      this.cursors.clear();
    }, this.o.ackDelayMs ?? 200);
  }

  private failAll(e: Error): void {
    for (const w of this.waiting.values()) w.fail(e);
    this.waiting.clear();
  }
}

/** Connects many lean clients with bounded concurrency; failures are counted, not thrown. */
/** Closes clients, 500 at a time. */
export async function closeAll(clients: (LeanClient | undefined)[]): Promise<void> {
  for (let i = 0; i < clients.length; i += 500)
    await Promise.all(clients.slice(i, i + 500).map((c) => c?.close()));
}

export async function connectMany(
  opts: LeanOptions[],
  concurrency: number,
  onConnected?: (i: number, ms: number) => void,
): Promise<{ clients: (LeanClient | undefined)[]; failed: number; errors: string[] }> {
  const clients: (LeanClient | undefined)[] = new Array<LeanClient | undefined>(opts.length);
  let failed = 0;
  const errors = new Set<string>();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, opts.length)) }, async () => {
      while (next < opts.length) {
        const i = next++;
        const t0 = performance.now();
        try {
          clients[i] = await LeanClient.connect(opts[i]!);
          onConnected?.(i, performance.now() - t0);
        } catch (e) {
          failed++;
          if (errors.size < 5) errors.add((e as Error).message);
        }
      }
    }),
  );
  return { clients, failed, errors: [...errors] };
}
