/**
 * The bytes of the link between the primary and its socket workers (link.ts): length-prefixed
 * frames, each `[u32 length][u8 type][body]`, the body written field by field with a writer
 * that appends to one growing buffer per event-loop turn. Both ends are the same binary, so
 * there is no versioning: a frame is read exactly as it was written.
 */

/** One-way frames and the request/response pair, by their type byte. */
export const Frame = {
  /** worker -> primary, first frame: the secret and the worker's id. */
  hello: 1,
  /** Either way: u32 id, u8 kind, the kind's body; answered by a response with that id. */
  request: 2,
  /** Either way: u32 id, u8 status (0 ok, 1 error), body. */
  response: 3,
  /** worker -> primary: a bus publish on one or many channels. */
  publish: 4,
  /** primary -> worker: a bus payload for some of the worker's subscribed channels. */
  deliver: 5,
  /** worker -> primary: drop the worker's subscription to a channel. */
  unsubscribe: 6,
  /** worker -> primary: an authenticated socket is open (the per-user and per-session caps). */
  socketOpened: 7,
  /** worker -> primary: that socket is gone. */
  socketClosed: 8,
  /** primary -> worker: close these sockets (over a cap). */
  closeSockets: 9,
  /** worker -> primary: an unauthenticated socket it was admitted for left the pending pool. */
  pendingLeft: 10,
} as const;

/** What a request asks for, by its kind byte. */
export const Ask = {
  /** worker -> primary: one unary RPC to a service of the primary. */
  call: 1,
  /** worker -> primary: one kv operation. */
  kv: 2,
  /** worker -> primary: subscribe the worker to a bus channel; answered once it is active. */
  subscribe: 3,
  /** worker -> primary: a slot in the pool of unauthenticated sockets for a client address. */
  admitPending: 4,
  /** worker -> primary: the primary's modules not running, and those failing their health check. */
  health: 5,
  /** worker -> primary: the metrics of every process, aggregated, as Prometheus text. */
  metrics: 6,
  /** primary -> worker: the worker's own metrics as prom-client JSON. */
  metricsJson: 7,
} as const;

const NO_VALUE = 0;
const STRING = 1;
const NUMBER = 2;
const TRUE = 3;
const FALSE = 4;

/** A scalar carried by {@link Writer.value}. */
export type Scalar = string | number | boolean | null | undefined;

/** Appends frames to one buffer; {@link take} hands out what was written and starts afresh. */
export class Writer {
  private buf: Buffer;
  private pos = 0;
  private frameStart = -1;

  constructor(private readonly initial = 16 * 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Bytes written and not taken yet. */
  get length(): number {
    return this.pos;
  }

  /** Starts a frame of `type`; {@link end} closes it. */
  begin(type: number): this {
    if (this.frameStart >= 0) throw new Error('a frame is already open');
    this.ensure(5);
    this.frameStart = this.pos;
    this.pos += 4;
    this.buf[this.pos++] = type;
    return this;
  }

  end(): void {
    if (this.frameStart < 0) throw new Error('no frame is open');
    this.buf.writeUInt32LE(this.pos - this.frameStart - 4, this.frameStart);
    this.frameStart = -1;
  }

  /** Drops the open frame (its writer threw halfway). */
  abandon(): void {
    if (this.frameStart < 0) return;
    this.pos = this.frameStart;
    this.frameStart = -1;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  f64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
    return this;
  }

  str(s: string): this {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    this.ensure(4 + s.length * 3);
    const n = this.buf.write(s, this.pos + 4, 'utf8');
    this.buf.writeUInt32LE(n, this.pos);
    this.pos += 4 + n;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(4 + b.length);
    this.buf.writeUInt32LE(b.length, this.pos);
    this.buf.set(b, this.pos + 4);
    this.pos += 4 + b.length;
    return this;
  }

  strings(list: readonly string[]): this {
    this.u32(list.length);
    for (const s of list) this.str(s);
    return this;
  }

  /** A string, number, boolean or nothing, tagged. */
  value(v: Scalar): this {
    if (v === null || v === undefined) return this.u8(NO_VALUE);
    if (typeof v === 'string') return this.u8(STRING).str(v);
    if (typeof v === 'number') return this.u8(NUMBER).f64(v);
    return this.u8(v ? TRUE : FALSE);
  }

  /**
   * A copy of everything written so far (whole frames only); the writer starts over in the
   * same buffer. One exact-size allocation per take (from Node's pool when small), not a new
   * working buffer: a buffer that once grew would otherwise be allocated at its full size on
   * every turn. A buffer grown past 1 MiB (a large call) is dropped for a small one.
   */
  take(): Buffer {
    if (this.frameStart >= 0) throw new Error('a frame is still open');
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    if (this.buf.length > 1 << 20) this.buf = Buffer.allocUnsafe(this.initial);
    this.pos = 0;
    return out;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}

/** Reads one frame's body in the order it was written. Byte fields are views, not copies. */
export class Reader {
  private pos: number;

  constructor(
    private readonly buf: Buffer,
    start: number,
    private readonly end: number,
  ) {
    this.pos = start;
  }

  /** Bytes left unread. */
  get remaining(): number {
    return this.end - this.pos;
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  str(): string {
    const n = this.u32();
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  bytes(): Uint8Array {
    const n = this.u32();
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  strings(): string[] {
    const n = this.u32();
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.str());
    return out;
  }

  value(): string | number | boolean | null {
    const tag = this.u8();
    switch (tag) {
      case NO_VALUE:
        return null;
      case STRING:
        return this.str();
      case NUMBER:
        return this.f64();
      case TRUE:
        return true;
      case FALSE:
        return false;
      default:
        throw new Error(`bad value tag ${tag}`);
    }
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new Error('frame ended early');
  }
}

/**
 * Splits a byte stream into frames: `push` each chunk as it arrives; `onFrame` gets every
 * complete frame's type and a reader over its body. A frame split across chunks waits,
 * chunk by chunk, until all of it is there; only then are the pieces joined (once).
 */
export class FrameSplitter {
  private parts: Buffer[] = [];
  private partsLength = 0;
  /** The length of the frame waiting in `parts` once its header is known, else -1. */
  private wanted = -1;

  constructor(
    private readonly onFrame: (type: number, body: Reader) => void,
    private readonly maxFrameBytes = 256 * 1024 * 1024,
  ) {}

  push(chunk: Buffer): void {
    if (this.parts.length) {
      this.parts.push(chunk);
      this.partsLength += chunk.length;
      if (this.wanted < 0 && this.partsLength >= 4)
        this.wanted = this.frameLength(Buffer.concat(this.parts), 0);
      if (this.wanted < 0 || this.partsLength < 4 + this.wanted) return;
      chunk = Buffer.concat(this.parts, this.partsLength);
      this.parts = [];
      this.partsLength = 0;
      this.wanted = -1;
    }
    let pos = 0;
    while (chunk.length - pos >= 4) {
      const len = this.frameLength(chunk, pos);
      if (chunk.length - pos - 4 < len) {
        this.wanted = len;
        break;
      }
      this.onFrame(chunk[pos + 4]!, new Reader(chunk, pos + 5, pos + 4 + len));
      pos += 4 + len;
    }
    if (pos < chunk.length) {
      this.parts.push(chunk.subarray(pos));
      this.partsLength = chunk.length - pos;
    }
  }

  private frameLength(buf: Buffer, pos: number): number {
    const len = buf.readUInt32LE(pos);
    if (len < 1 || len > this.maxFrameBytes) throw new Error(`bad frame length ${len}`);
    return len;
  }
}
