import { fromBinary, toBinary, create } from '@bufbuild/protobuf';
import { auth, common, contacts, message as pb } from '@mychat/protocol';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcWebTransport } from '@connectrpc/connect-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../../test/helpers/auth-helpers.js';
import { backendAvailable } from '../../test/helpers/backends.js';
import { createTestDatabaseUrl, dropTestDatabase } from '../../test/helpers/sql-databases.js';
import { startTestServer, type TestServer } from '../../test/helpers/test-server.js';
import { forClient } from './connect-edge-errors.js';

/**
 * Every refusal of the public RPC edge, including those Connect makes before our code runs
 * (a body too large, undecodable JSON or protobuf), carries ErrorInfo and the request id,
 * over a real HTTP socket as a client written from docs/protocol.md sees it.
 */
interface ErrorBody {
  code: string;
  message: string;
  details?: { type: string; value: string }[];
}

function infoOf(body: ErrorBody): common.ErrorInfo | undefined {
  const d = body.details?.find((x) => x.type === 'mychat.common.v1.ErrorInfo');
  return d ? fromBinary(common.ErrorInfoSchema, Buffer.from(d.value, 'base64')) : undefined;
}

async function post(
  server: TestServer,
  path: string,
  body: BodyInit,
  headers: Record<string, string> = {},
): Promise<{ status: number; requestId: string | null; body: ErrorBody; type: string | null }> {
  const res = await fetch(`${server.baseUrl}/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    ...(body instanceof ReadableStream && { duplex: 'half' }),
  } as RequestInit);
  const text = await res.text();
  return {
    status: res.status,
    requestId: res.headers.get('x-request-id'),
    type: res.headers.get('content-type'),
    body: (res.headers.get('content-type') ?? '').includes('json')
      ? (JSON.parse(text) as ErrorBody)
      : ({} as ErrorBody),
  };
}

describe('forClient', () => {
  it.each([
    [Code.Unavailable, 'UNAVAILABLE', 'service temporarily unavailable'],
    [Code.DeadlineExceeded, 'DEADLINE_EXCEEDED', 'deadlineexceeded'],
    [Code.Unknown, 'INTERNAL', 'internal'],
    [Code.Internal, 'INTERNAL', 'internal'],
    [Code.Aborted, 'INTERNAL', 'aborted'],
  ])(
    'an error of status %s without ErrorInfo gets reason %s and loses its internal text',
    (code, reason, text) => {
      const out = forClient(new ConnectError('connect ECONNREFUSED 10.0.0.7:9090', code));
      expect(out.code).toBe(code === Code.Unknown ? Code.Internal : code);
      expect(out.findDetails(common.ErrorInfoSchema)[0]?.reason).toBe(reason);
      expect(out.rawMessage).toBe(text);
    },
  );
});

const SEND = 'mychat.message.v1.MessageService/SendMessage';
const SYNC = 'mychat.message.v1.MessageService/Sync';
const HISTORY = 'mychat.message.v1.MessageService/GetHistory';

describe('public RPC edge errors', () => {
  let server: TestServer;
  let token: string;
  beforeAll(async () => {
    server = await startTestServer();
    token = (await signUp(server, server.client(auth.AuthService))).session.accessToken;
  });
  afterAll(() => server?.stop());

  it('a body over 64 KiB is PAYLOAD_TOO_LARGE (400, not the retryable resource_exhausted), with the request id', async () => {
    const text = 'x'.repeat(70 * 1024);
    const r = await post(
      server,
      SEND,
      JSON.stringify({ conversationId: '1', clientMsgId: 'big', content: { text: { text } } }),
      {
        authorization: `Bearer ${token}`,
        'x-request-id': 'req-too-large-1',
      },
    );
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('invalid_argument');
    expect(infoOf(r.body)?.reason).toBe('PAYLOAD_TOO_LARGE');
    expect(r.requestId).toBe('req-too-large-1');
  });

  it('a body without Content-Length (chunked) that grows past the limit is refused the same way', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(8192));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent++ < 10) c.enqueue(chunk);
        else c.close();
      },
    });
    const r = await post(server, SEND, stream, { authorization: `Bearer ${token}` });
    expect(r.status).toBe(400);
    expect(infoOf(r.body)?.reason).toBe('PAYLOAD_TOO_LARGE');
    expect(r.requestId).toMatch(/^[A-Za-z0-9._:-]{8,64}$/);
  });

  it('malformed JSON is MALFORMED_REQUEST with the request id', async () => {
    const r = await post(server, SYNC, '{"sincePts":', { 'x-request-id': 'req-bad-json-1' });
    expect(r.status).toBe(400);
    expect(infoOf(r.body)?.reason).toBe('MALFORMED_REQUEST');
    expect(r.requestId).toBe('req-bad-json-1');
  });

  it('JSON of the wrong types is MALFORMED_REQUEST', async () => {
    const r = await post(server, HISTORY, JSON.stringify({ conversationId: '1', limit: 'many' }), {
      authorization: `Bearer ${token}`,
    });
    expect(r.status).toBe(400);
    expect(infoOf(r.body)?.reason).toBe('MALFORMED_REQUEST');
    expect(r.body.message).toContain('GetHistoryRequest');
  });

  it('an undecodable protobuf body is MALFORMED_REQUEST (400, not 500), answered in JSON', async () => {
    const r = await post(server, SYNC, new Uint8Array([0x08, 0xff]) /* a varint cut short */, {
      'content-type': 'application/proto',
      authorization: `Bearer ${token}`,
    });
    expect(r.status).toBe(400);
    expect(r.type).toContain('application/json');
    expect(infoOf(r.body)?.reason).toBe('MALFORMED_REQUEST');
    expect(r.requestId).toBeTruthy();
  });

  it('a well-formed binary call still works, and errors on it come back as JSON with ErrorInfo', async () => {
    const ok = await fetch(`${server.baseUrl}/${SYNC}`, {
      method: 'POST',
      headers: { 'content-type': 'application/proto', authorization: `Bearer ${token}` },
      body: toBinary(pb.SyncRequestSchema, create(pb.SyncRequestSchema, { sincePts: 0 })),
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/proto');
    fromBinary(pb.SyncResponseSchema, new Uint8Array(await ok.arrayBuffer()));

    const anon = await post(server, SYNC, toBinary(pb.SyncRequestSchema, create(pb.SyncRequestSchema, {})), {
      'content-type': 'application/proto',
    });
    expect(anon.status).toBe(401);
    expect(anon.type).toContain('application/json');
    expect(infoOf(anon.body)?.reason).toBe('UNAUTHENTICATED');
  });

  it('gRPC-Web calls pass untouched: they still work, and their errors keep the gRPC-Web shape', async () => {
    const transport = createGrpcWebTransport({ baseUrl: server.baseUrl, httpVersion: '1.1' });
    const client = createClient(pb.MessageService, transport);
    const headers = { authorization: `Bearer ${token}` };
    expect((await client.sync({ sincePts: 0 }, { headers })).pts).toBeGreaterThanOrEqual(0);
    await expect(client.getHistory({ conversationId: 'abc' }, { headers })).rejects.toMatchObject({
      code: 3, // invalid_argument, read from gRPC-Web trailers
    });
  });
});

for (const engine of ['sqlite', 'postgres'] as const) {
  const ok = engine === 'sqlite' || (await backendAvailable(engine));
  describe.skipIf(!ok)(`NUL in text on ${engine}`, () => {
    let server: TestServer;
    let sqlUrl: string | undefined;
    let token: string;
    beforeAll(async () => {
      sqlUrl = engine === 'sqlite' ? undefined : await createTestDatabaseUrl(engine);
      server = await startTestServer({ sqlUrl });
      token = (await signUp(server, server.client(auth.AuthService))).session.accessToken;
    });
    afterAll(async () => {
      await server?.stop();
      if (sqlUrl) await dropTestDatabase(sqlUrl);
    });

    it('a NUL in any text field is INVALID_ARGUMENT naming the field, before it reaches SQL', async () => {
      const group = await post(
        server,
        'mychat.contacts.v1.ContactsService/CreateGroup',
        JSON.stringify({ name: 'a\u0000b' }),
        {
          authorization: `Bearer ${token}`,
        },
      );
      expect(group.status).toBe(400);
      expect(infoOf(group.body)).toMatchObject({ reason: 'INVALID_ARGUMENT', field: 'name' });

      const search = await post(
        server,
        'mychat.contacts.v1.ContactsService/SearchUsers',
        JSON.stringify({ query: 'x\u0000' }),
        {
          authorization: `Bearer ${token}`,
        },
      );
      expect(search.status).toBe(400);
      expect(infoOf(search.body)?.field).toBe('query');

      // The same name without the NUL is stored.
      const fine = await server
        .client(contacts.ContactsService)
        .createGroup({ name: 'ab' }, { headers: { authorization: `Bearer ${token}` } });
      expect(fine.group?.name).toBe('ab');
    });
  });
}
