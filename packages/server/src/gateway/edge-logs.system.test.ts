import { Code, ConnectError } from '@connectrpc/connect';
import { auth } from '@mychat/protocol';
import { Registry } from 'prom-client';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpServer } from '../http/http-server.js';
import { bearer, uniqueEmail } from '../../test/helpers/auth-helpers.js';
import { upload } from '../../test/helpers/media-helpers.js';
import { startTestServer, type TestServer } from '../../test/helpers/test-server.js';
import { newUser } from './ws/ws.test-helpers.js';

const parsed = (logs: string[]) => logs.map((l) => JSON.parse(l) as Record<string, unknown>);

/** Whether `value` appears as any string value of a logged object, at any depth. */
function holds(line: unknown, value: string): boolean {
  if (typeof line === 'string') return line === value || line.includes(`"${value}"`);
  if (line && typeof line === 'object') return Object.values(line).some((v) => holds(v, value));
  return false;
}

describe('edge log lines', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  it('name the status code of every rpc, while a verification code is never logged', async () => {
    const api = server.client(auth.AuthService);
    const email = uniqueEmail('logs');
    await api.sendVerificationCode({
      destination: { case: 'email', value: email },
      purpose: 'register',
      locale: 'en',
    });
    const code = await server.codeFor(email);
    await expect(api.getMe({})).rejects.toThrow(ConnectError);

    const lines = parsed(server.logs);
    const edge = (rpc: string) => lines.find((l) => l.msg === 'rpc' && l.rpc === `AuthService/${rpc}`);
    expect(edge('SendVerificationCode')?.status).toBe('ok');
    expect(edge('GetMe')?.status).toBe('Unauthenticated');
    const handled = lines.find((l) => l.msg === 'rpc handled' && l.rpc === 'SendVerificationCode');
    expect(handled?.status).toBe('ok');
    expect(lines.filter((l) => holds(l, code))).toEqual([]);
  });
});

describe('every 500 logs its cause with the request id', () => {
  let server: TestServer;
  let user: Awaited<ReturnType<typeof newUser>>;
  beforeAll(async () => {
    server = await startTestServer();
    user = await newUser(server);
    // A real fault behind the edge: the database goes away under the running services.
    await server.app.value('sql').close();
  });
  afterAll(() => server?.stop().catch(() => undefined));

  const failures = (msg: string, requestId: string) =>
    parsed(server.logs).filter((l) => l.msg === msg && l.request_id === requestId);

  it('at the Connect edge', async () => {
    const requestId = 'edge-500-check-1';
    const err = await server
      .client(auth.AuthService)
      .getMe({}, { headers: { ...bearer(user.token).headers, 'x-request-id': requestId } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.Internal);
    expect((err as ConnectError).metadata.get('x-request-id')).toBe(requestId);
    const [line] = failures('rpc failed', requestId);
    expect((line?.err as { message?: string } | undefined)?.message).toBeTruthy();
  });

  it('on the media HTTP routes', async () => {
    const res = await upload(server.baseUrl, user.token, 'file', Buffer.from('hello'), 'a.txt', {});
    // upload() sends no request id of its own: the answer names the one the server made.
    expect(res.status).toBe(500);
    const id = res.json<{ requestId: string }>().requestId;
    expect(res.headers.get('x-request-id')).toBe(id);
    const [line] = failures('media route failed', id);
    expect((line?.err as { message?: string } | undefined)?.message).toBeTruthy();
  });
});

describe('the HTTP server guards every mounted route', () => {
  it('turns a throwing or rejecting handler into a logged 500 with the request id', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'info' },
      { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
    );
    const http = new HttpServer({
      host: '127.0.0.1',
      port: 0,
      logger,
      metrics: new Registry(),
      notRunning: () => [],
      unhealthy: async () => [],
    });
    http.mount('/throws', () => {
      throw new Error('sync fault');
    });
    http.mount('/rejects', async () => {
      await Promise.resolve();
      throw new Error('async fault');
    });
    await http.start();
    try {
      for (const [path, cause] of [
        ['/throws', 'sync fault'],
        ['/rejects', 'async fault'],
      ] as const) {
        const requestId = `guard-${path.slice(1)}-1`;
        const res = await fetch(`${http.url}${path}`, { headers: { 'x-request-id': requestId } });
        expect(res.status).toBe(500);
        expect(res.headers.get('x-request-id')).toBe(requestId);
        expect(await res.json()).toEqual({ reason: 'INTERNAL', message: 'internal error', requestId });
        const line = lines.find((l) => l.request_id === requestId);
        expect(line).toMatchObject({ msg: 'http route failed', err: { message: cause } });
      }
    } finally {
      await http.stop();
    }
  });
});
