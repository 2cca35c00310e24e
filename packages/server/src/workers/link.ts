import type { Socket } from 'node:net';
import { create, toBinary } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { Frame, FrameSplitter, Writer, type Reader } from './wire.js';

/** How a request is answered: once, with a body or with an error. */
export interface Reply {
  ok(write?: (w: Writer) => void): void;
  fail(err: unknown): void;
}

export interface LinkHandlers {
  /** A one-way frame (not a request or a response). */
  onFrame(type: number, body: Reader): void;
  /** A request of `kind`; answered through `reply`, now or later. */
  onRequest(kind: number, body: Reader, reply: Reply): void;
  /** The other end is gone (or sent something unreadable, then the link is cut). */
  onClose(err?: Error): void;
}

interface Waiting {
  resolve(body: Reader): void;
  reject(err: Error): void;
}

/**
 * One end of the link between the primary and a socket worker: a Unix domain socket carrying
 * the frames of wire.ts. Everything sent during one event-loop turn leaves in one write at
 * the end of it (`setImmediate`), so a turn that forwards a hundred sends, pushes and cursor
 * moves costs one system call each way, not a hundred. Requests carry an id and are answered
 * by a response with that id, in any order. When the socket closes, every request still
 * waiting fails with UNAVAILABLE.
 */
export class Link {
  private readonly out = new Writer();
  private scheduled = false;
  private closed = false;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  /** Called before anything is written and before each flush (the primary closes a delivery group). */
  beforeWrite: (() => void) | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly h: LinkHandlers,
  ) {
    socket.setNoDelay?.(true);
    const splitter = new FrameSplitter((type, body) => this.onFrame(type, body));
    socket.on('data', (chunk: Buffer) => {
      try {
        splitter.push(chunk);
      } catch (err) {
        // A frame we cannot read means the two ends disagree: nothing later can be trusted.
        this.fail(err as Error);
      }
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail());
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Requests sent and not answered yet. */
  get inFlight(): number {
    return this.waiting.size;
  }

  /** Sends a one-way frame. */
  post(type: number, write?: (w: Writer) => void): void {
    if (this.closed) return;
    this.beforeWrite?.();
    this.frame(type, write);
  }

  /** Sends a request; resolves with the response's body, rejects with its error. */
  request(kind: number, write?: (w: Writer) => void): Promise<Reader> {
    if (this.closed) return Promise.reject(gone());
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffff_fff0 ? 1 : this.nextId + 1;
    this.beforeWrite?.();
    this.frame(Frame.request, (w) => {
      w.u32(id).u8(kind);
      write?.(w);
    });
    return new Promise<Reader>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
  }

  /** Makes sure a flush runs at the end of this turn (for what `beforeWrite` will add). */
  touch(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Writes out what is queued now instead of at the end of the turn. */
  flush(): void {
    if (!this.closed) {
      // What beforeWrite adds joins this write; `scheduled` stays set so it asks for no other.
      this.beforeWrite?.();
      if (this.out.length) this.socket.write(this.out.take());
    }
    this.scheduled = false;
  }

  /** Closes the link after writing what is queued. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.socket.end();
    this.fail();
  }

  private frame(type: number, write?: (w: Writer) => void): void {
    this.out.begin(type);
    try {
      write?.(this.out);
      this.out.end();
    } catch (err) {
      this.out.abandon();
      throw err;
    }
    this.touch();
  }

  private onFrame(type: number, body: Reader): void {
    if (type === Frame.response) {
      const id = body.u32();
      const w = this.waiting.get(id);
      if (!w) return; // its asker gave up (the link is per process: nothing else can answer it)
      this.waiting.delete(id);
      if (body.u8() === 0) w.resolve(body);
      else w.reject(readError(body));
      return;
    }
    if (type === Frame.request) {
      const id = body.u32();
      const kind = body.u8();
      let done = false;
      const answer = (write: (w: Writer) => void) => {
        if (done) return;
        done = true;
        this.post(Frame.response, (w) => {
          w.u32(id);
          write(w);
        });
      };
      const reply: Reply = {
        ok: (write) => {
          try {
            answer((w) => {
              w.u8(0);
              write?.(w);
            });
          } catch (err) {
            // The answer could not be written (say, a message that does not encode): the
            // asker gets that error rather than waiting for ever.
            done = false;
            reply.fail(err);
          }
        },
        fail: (err) =>
          answer((w) => {
            w.u8(1);
            writeError(w, err);
          }),
      };
      try {
        this.h.onRequest(kind, body, reply);
      } catch (err) {
        reply.fail(err);
      }
      return;
    }
    this.h.onFrame(type, body);
  }

  private fail(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.socket.destroyed) this.socket.destroy();
    for (const w of this.waiting.values()) w.reject(gone());
    this.waiting.clear();
    this.h.onClose(err);
  }
}

const gone = () => new ConnectError('the link to the other process is closed', Code.Unavailable);

/**
 * `p`, or DEADLINE_EXCEEDED after `ms`: for the few requests a person waits on that a stuck
 * process on the other end could hold for ever (/readyz, /metrics). Calls carry their own
 * deadline, enforced by the side that runs them.
 */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ConnectError(`${what} took longer than ${ms} ms`, Code.DeadlineExceeded)),
      ms,
    );
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** An error as a response body: its Connect code, message and details (e.g. ErrorInfo). */
export function writeError(w: Writer, err: unknown): void {
  const ce =
    err instanceof ConnectError
      ? err
      : new ConnectError(err instanceof Error ? err.message : String(err), Code.Internal);
  w.u32(ce.code).str(ce.rawMessage).u32(ce.details.length);
  for (const d of ce.details) {
    if ('desc' in d) w.str(d.desc.typeName).bytes(toBinary(d.desc, create(d.desc, d.value)));
    else w.str(d.type).bytes(d.value);
  }
}

/** The ConnectError of {@link writeError}, with its details as the wire would give them. */
export function readError(r: Reader): ConnectError {
  const code = r.u32() as Code;
  const message = r.str();
  const n = r.u32();
  const err = new ConnectError(message, code);
  for (let i = 0; i < n; i++) err.details.push({ type: r.str(), value: Uint8Array.from(r.bytes()) });
  return err;
}
