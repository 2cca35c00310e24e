import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { gateway } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, device, PASSWORD } from '../../../test/helpers/auth-helpers.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';
import { SESSION_ENDED_CHANNEL } from '../../contracts/session-ended-notice.js';
import { WsClose } from './ws-close-codes.js';
import { connectAuthed, is, newUser, type TestSocket } from './ws.test-helpers.js';

const notice = (userId: string, sessionId: string, reason: string) =>
  toBinary(
    gateway.SessionEndedNoticeSchema,
    create(gateway.SessionEndedNoticeSchema, { userId, sessionId, reason }),
  );

/** The session-ended notice on the bus: protobuf from the auth service, read by every gateway. */
describe('ws session-ended notice', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  const bus = () => server.app.value('bus');

  /** A user with two sessions (web and pc), a socket open on each. */
  const twoSessions = async () => {
    const u = await newUser(server);
    const pc = await u.api.login({
      destination: { case: 'email', value: u.email },
      credential: { case: 'password', value: PASSWORD },
      device: device('pc', 'dev-2'),
    });
    const web = await connectAuthed(server, u.token);
    const desk = await connectAuthed(server, pc.session!.accessToken);
    return { u, web, desk, deskSessionId: pc.session!.sessionId };
  };

  /** The socket still answers (so whatever came before it on the bus did not close it). */
  const answers = async (s: TestSocket, requestId: number) => {
    s.send({ requestId, body: { case: 'ping', value: {} } });
    expect((await s.next((f) => f.requestId === requestId)).frame.body.case).toBe('pong');
  };

  it('the auth service publishes a SessionEndedNotice in protobuf when a session ends', async () => {
    const u = await newUser(server);
    const seen = new Promise<Uint8Array>((resolve) => {
      void bus()
        .subscribe(SESSION_ENDED_CHANNEL, (payload) => resolve(payload))
        .then(async (sub) => {
          await u.api.logout({}, bearer(u.token));
          await seen;
          await sub.unsubscribe();
        });
    });
    const got = fromBinary(gateway.SessionEndedNoticeSchema, await seen);
    expect(got).toMatchObject({ userId: u.userId, sessionId: u.sessionId, reason: 'logout' });
  });

  it('closes the named session on a protobuf notice, and no other socket of the user', async () => {
    const { u, web, desk, deskSessionId } = await twoSessions();
    // Right session, wrong user: the notice names the pair, not the session id alone.
    await bus().publish(SESSION_ENDED_CHANNEL, notice('1', deskSessionId, 'kicked'));
    await answers(desk, 2);
    await bus().publish(SESSION_ENDED_CHANNEL, notice(u.userId, deskSessionId, 'kicked'));
    const { frame } = await desk.next(is('sessionEnded'));
    expect(frame.body.case === 'sessionEnded' && frame.body.value.reason).toBe('kicked');
    expect((await desk.closed).code).toBe(WsClose.KICKED);
    await answers(web, 3);
    web.ws.close();
  });

  it('a logout through the auth service closes that socket with 4401 (both sides speak protobuf)', async () => {
    const { u, web, desk } = await twoSessions();
    await u.api.logout({}, bearer(u.token));
    const { frame } = await web.next(is('sessionEnded'));
    expect(frame.body.case === 'sessionEnded' && frame.body.value.reason).toBe('logout');
    expect((await web.closed).code).toBe(WsClose.UNAUTHENTICATED);
    await answers(desk, 4);
    desk.ws.close();
  });

  it('tells a device signed out from the device list "revoked", and one replaced by a new login "kicked"', async () => {
    const { u, web, desk, deskSessionId } = await twoSessions();
    // The web session signs the PC out from its device list: revoked, not kicked (the client
    // says "signed out from another device", not "you signed in on another device").
    await u.api.revokeDevice({ sessionId: deskSessionId }, bearer(u.token));
    const revoked = await desk.next(is('sessionEnded'));
    expect(revoked.frame.body.case === 'sessionEnded' && revoked.frame.body.value.reason).toBe('revoked');
    expect((await desk.closed).code).toBe(WsClose.UNAUTHENTICATED);
    // A second web login replaces the first web session: kicked.
    await u.api.login({
      destination: { case: 'email', value: u.email },
      credential: { case: 'password', value: PASSWORD },
      device: device('web', 'dev-3'),
    });
    const kicked = await web.next(is('sessionEnded'));
    expect(kicked.frame.body.case === 'sessionEnded' && kicked.frame.body.value.reason).toBe('kicked');
    expect((await web.closed).code).toBe(WsClose.KICKED);
  });

  it('still reads the JSON notice of the previous release (rolling upgrade)', async () => {
    const { u, web, desk, deskSessionId } = await twoSessions();
    const json = JSON.stringify({ userId: u.userId, sessionId: deskSessionId, reason: 'password-changed' });
    await bus().publish(SESSION_ENDED_CHANNEL, new TextEncoder().encode(json));
    const { frame } = await desk.next(is('sessionEnded'));
    expect(frame.body.case === 'sessionEnded' && frame.body.value.reason).toBe('password-changed');
    expect((await desk.closed).code).toBe(WsClose.UNAUTHENTICATED);
    await answers(web, 5);
    web.ws.close();
  });

  it('ignores undecodable notices and ones naming no user or session, and keeps reading the channel', async () => {
    const { u, web, desk, deskSessionId } = await twoSessions();
    const bad = [
      new Uint8Array([0xff, 0xff, 0xff]),
      notice(u.userId, deskSessionId, 'kicked').subarray(0, 5), // truncated
      notice(u.userId, '', 'kicked'),
      notice('', deskSessionId, 'kicked'),
      new TextEncoder().encode('{"userId":'),
      new TextEncoder().encode(JSON.stringify({ userId: Number(u.userId), sessionId: deskSessionId })),
      new TextEncoder().encode('null'),
      new Uint8Array(),
    ];
    for (const payload of bad) await bus().publish(SESSION_ENDED_CHANNEL, payload);
    await answers(desk, 6);
    await answers(web, 7);
    await bus().publish(SESSION_ENDED_CHANNEL, notice(u.userId, deskSessionId, 'revoked'));
    expect((await desk.closed).code).toBe(WsClose.UNAUTHENTICATED);
    await answers(web, 8);
    web.ws.close();
  });
});
