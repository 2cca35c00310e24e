import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Code, ConnectError } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { message } from '@mychat/protocol';

export interface DirectCall {
  userA: string;
  userB: string;
  aCanSend: boolean;
  bCanSend: boolean;
  aReason: string;
  bReason: string;
  /** The system message asked for when this apply makes them friends. */
  event: { kind: string; args: Record<string, string> } | undefined;
  requestId: string;
}

export interface GroupCall {
  conversationId: string;
  name: string;
  mutedAll: boolean;
  members: { userId: string; role: number; mutedUntilMs: number }[];
  event: { kind: string; args: Record<string, string> } | undefined;
  actorId: string;
  requestId: string;
}

/**
 * A stand-in for the message service's internal API on a real gRPC (HTTP/2) port, for
 * contacts tests that look at exactly what contacts tells the message service, or make it
 * fail. Run contacts with `rpc.peers.message` pointing at {@link FakeMessagePeer.url}
 * and without the message module.
 */
export interface FakeMessagePeer {
  url: string;
  direct: DirectCall[];
  groups: GroupCall[];
  /** While true, every call fails with UNAVAILABLE (and is still recorded in `failed`). */
  failing: boolean;
  failed: number;
  /** The last state sent for a pair (either order) or a group. */
  lastDirect(a: string, b: string): DirectCall | undefined;
  lastGroup(groupId: string): GroupCall | undefined;
  stop(): Promise<void>;
}

export async function startFakeMessagePeer(): Promise<FakeMessagePeer> {
  const ids = new Map<string, string>();
  let next = 9_000_000_000_000_000_000n;
  const peer: Omit<FakeMessagePeer, 'url' | 'stop'> = {
    direct: [],
    groups: [],
    failing: false,
    failed: 0,
    lastDirect: (a, b) =>
      peer.direct.findLast((c) => (c.userA === a && c.userB === b) || (c.userA === b && c.userB === a)),
    lastGroup: (g) => peer.groups.findLast((c) => c.conversationId === g),
  };
  const gate = () => {
    if (peer.failing) {
      peer.failed++;
      throw new ConnectError('message service is down (fake)', Code.Unavailable);
    }
  };
  const handler = connectNodeAdapter({
    grpc: true,
    connect: false,
    grpcWeb: false,
    routes(router) {
      router.service(message.MessageInternalService, {
        applyDirect(req, ctx) {
          gate();
          peer.direct.push({
            userA: req.userA,
            userB: req.userB,
            aCanSend: req.aCanSend,
            bCanSend: req.bCanSend,
            aReason: req.aReason,
            bReason: req.bReason,
            event: req.event && { kind: req.event.kind, args: { ...req.event.args } },
            requestId: ctx.requestHeader.get('x-request-id') ?? '',
          });
          const key = [req.userA, req.userB].sort().join(':');
          if (!ids.has(key)) ids.set(key, (next++).toString());
          return { conversationId: ids.get(key)! };
        },
        applyGroup(req, ctx) {
          gate();
          peer.groups.push({
            conversationId: req.conversationId,
            name: req.name,
            mutedAll: req.mutedAll,
            members: req.members.map((m) => ({
              userId: m.userId,
              role: m.role,
              mutedUntilMs: m.mutedUntilMs,
            })),
            event: req.event && { kind: req.event.kind, args: { ...req.event.args } },
            actorId: req.actorId,
            requestId: ctx.requestHeader.get('x-request-id') ?? '',
          });
          return {};
        },
      });
    },
  });
  const server = http2.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(peer, {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        setTimeout(resolve, 2_000).unref();
      }),
  });
}
