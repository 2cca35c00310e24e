import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { square } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unaryHttp } from './connect-call.js';

const method = square.SquareService.method.listThreads;

describe('unaryHttp (the generator-side Connect call over node:http)', () => {
  let server: http.Server;
  let url = '';
  const seen: { path?: string; headers?: http.IncomingHttpHeaders; board?: string }[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const asked = fromBinary(method.input, Buffer.concat(chunks));
        seen.push({ path: req.url, headers: req.headers, board: asked.boardId });
        if (asked.boardId === 'missing') {
          res.writeHead(404, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ code: 'not_found', message: 'no such board' }));
        }
        const answer = toBinary(
          method.output,
          create(method.output, { nextCursor: `after-${asked.boardId}` }),
        );
        res.writeHead(200, { 'content-type': 'application/proto', 'content-encoding': 'gzip' });
        res.end(gzipSync(answer));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('posts the binary request with the token and reads a gzipped binary answer', async () => {
    const r = await unaryHttp(url, method, { boardId: '42', cursor: '' }, 'tok');
    expect(r.nextCursor).toBe('after-42');
    expect(seen.at(-1)).toMatchObject({
      path: '/mychat.square.v1.SquareService/ListThreads',
      board: '42',
      headers: {
        authorization: 'Bearer tok',
        'content-type': 'application/proto',
        'accept-encoding': 'gzip',
      },
    });
  });

  it("rejects with the server's message on an error status", async () => {
    await expect(unaryHttp(url, method, { boardId: 'missing' }, 'tok')).rejects.toThrow(
      'ListThreads: no such board',
    );
  });

  it('rejects when nothing listens', async () => {
    await expect(unaryHttp('http://127.0.0.1:1', method, { boardId: '1' }, 'tok')).rejects.toThrow();
  });
});
