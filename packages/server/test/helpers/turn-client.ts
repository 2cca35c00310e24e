import { createHash, createHmac, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';

/**
 * A minimal TURN client (RFC 5766 Allocate with RFC 5389 long-term credentials) over UDP, for
 * tests that check whether a TURN server accepts a credential: the first Allocate is answered
 * 401 with a realm and nonce, the second carries USERNAME, REALM, NONCE and MESSAGE-INTEGRITY.
 */

const MAGIC = 0x2112a442;
const ALLOCATE = 0x0003;
const ALLOCATE_OK = 0x0103;
const A = {
  USERNAME: 0x0006,
  INTEGRITY: 0x0008,
  ERROR: 0x0009,
  REALM: 0x0014,
  NONCE: 0x0015,
  TRANSPORT: 0x0019,
};

interface Attr {
  type: number;
  value: Buffer;
}

function attr(type: number, value: Buffer): Buffer {
  const pad = (4 - (value.length % 4)) % 4;
  const head = Buffer.alloc(4);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(value.length, 2);
  return Buffer.concat([head, value, Buffer.alloc(pad)]);
}

function message(type: number, tid: Buffer, attrs: Buffer[], key?: Buffer): Buffer {
  const body = Buffer.concat(attrs);
  const head = Buffer.alloc(20);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(body.length + (key ? 24 : 0), 2);
  head.writeUInt32BE(MAGIC, 4);
  tid.copy(head, 8);
  const msg = Buffer.concat([head, body]);
  if (!key) return msg;
  const mac = createHmac('sha1', key).update(msg).digest();
  return Buffer.concat([msg, attr(A.INTEGRITY, mac)]);
}

function parse(buf: Buffer): { type: number; attrs: Attr[] } {
  const type = buf.readUInt16BE(0);
  const len = buf.readUInt16BE(2);
  const attrs: Attr[] = [];
  for (let i = 20; i < 20 + len;) {
    const t = buf.readUInt16BE(i);
    const l = buf.readUInt16BE(i + 2);
    attrs.push({ type: t, value: buf.subarray(i + 4, i + 4 + l) });
    i += 4 + l + ((4 - (l % 4)) % 4);
  }
  return { type, attrs };
}

function exchange(socket: dgram.Socket, port: number, msg: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer from the TURN server')), timeoutMs);
    socket.once('message', (m) => {
      clearTimeout(timer);
      resolve(m);
    });
    socket.send(msg, port, '127.0.0.1');
  });
}

/** Tries to allocate a relay with the credential; resolves 'ok' or the error code (e.g. 401). */
export async function tryAllocate(
  port: number,
  username: string,
  password: string,
  timeoutMs = 3000,
): Promise<'ok' | number> {
  const socket = dgram.createSocket('udp4');
  try {
    const transport = attr(A.TRANSPORT, Buffer.from([17, 0, 0, 0]));
    const first = parse(
      await exchange(socket, port, message(ALLOCATE, randomBytes(12), [transport]), timeoutMs),
    );
    const realm = first.attrs.find((a) => a.type === A.REALM)?.value;
    const nonce = first.attrs.find((a) => a.type === A.NONCE)?.value;
    if (!realm || !nonce) throw new Error('the server asked for no credentials');
    const key = createHash('md5').update(`${username}:${realm.toString()}:${password}`).digest();
    const second = parse(
      await exchange(
        socket,
        port,
        message(
          ALLOCATE,
          randomBytes(12),
          [transport, attr(A.USERNAME, Buffer.from(username)), attr(A.REALM, realm), attr(A.NONCE, nonce)],
          key,
        ),
        timeoutMs,
      ),
    );
    if (second.type === ALLOCATE_OK) return 'ok';
    const err = second.attrs.find((a) => a.type === A.ERROR)?.value;
    return err ? err[2]! * 100 + err[3]! : -1;
  } finally {
    socket.close();
  }
}
