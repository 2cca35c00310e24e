import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { auth, contacts, message } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../kernel/config.js';
import { callHeaders } from '../rpc/call-context.js';
import { startTestServer, type TestServer } from '../../test/helpers/test-server.js';
import { SquareStore } from '../services/square/square.repository.js';
import { benchSeed, ringFriends, SEED_PASSWORD, validatePlan } from './bench-seed.js';

const run = promisify(execFile);
const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/main.js');
const SERVICES = ['auth', 'contacts', 'message'];

describe('bench-seed when bench.seed is on', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ targets: SERVICES, overrides: { bench: { seed: true } } });
  });
  afterAll(() => server.stop());

  it('creates accounts with working tokens and password, friend pairs with conversations, and a group', async () => {
    const { app } = server;
    const seed = await benchSeed(app, { users: 6, groupSize: 4, tag: 'seedtest' });
    expect(seed.users).toHaveLength(6);
    expect(seed.pairs.map((p) => [p.a, p.b])).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    expect(seed.pairs.every((p) => /^\d+$/.test(p.conversationId))).toBe(true);
    // The tokens are the server's own.
    for (const u of seed.users) {
      const claims = await app.value('tokens').verify(u.accessToken);
      expect(claims.userId).toBe(u.id);
    }
    // Real friendships: the owner of the group is friends with every member.
    const rpc = app.value('rpc');
    const c0 = await app.value('tokens').verify(seed.users[0]!.accessToken);
    const as0 = { headers: callHeaders({ caller: c0 }) };
    const friends = await rpc.client(contacts.ContactsService).listFriends({}, as0);
    expect(friends.friends.map((f) => f.user!.id).sort()).toEqual(
      seed.users
        .slice(1, 4)
        .map((u) => u.id)
        .sort(),
    );
    const group = await rpc.client(contacts.ContactsService).getGroup({ groupId: seed.group!.id }, as0);
    expect(group.group!.memberCount).toBe(4);
    // Real accounts: they log in with the shared password.
    const login = await rpc.client(auth.AuthService).login({
      destination: { case: 'email', value: seed.users[5]!.email },
      credential: { case: 'password', value: SEED_PASSWORD },
      device: { clientType: 'web', deviceId: 'w', name: 'test' },
    });
    expect(login.session!.user!.id).toBe(seed.users[5]!.id);
  });

  it('leaves friendships out when asked (connection-only runs)', async () => {
    const seed = await benchSeed(server.app, { users: 4, groupSize: 0, tag: 'nopairs', pairs: false });
    expect(seed.users).toHaveLength(4);
    expect(seed.pairs).toEqual([]);
    const c0 = await server.app.value('tokens').verify(seed.users[0]!.accessToken);
    const friends = await server.app
      .value('rpc')
      .client(contacts.ContactsService)
      .listFriends({}, { headers: callHeaders({ caller: c0 }) });
    expect(friends.friends).toEqual([]);
  });

  it('fills a group past the 100 ids one call may carry', async () => {
    const seed = await benchSeed(server.app, { users: 130, groupSize: 130, tag: 'biggroup', pairs: false });
    const c0 = await server.app.value('tokens').verify(seed.users[0]!.accessToken);
    const group = await server.app
      .value('rpc')
      .client(contacts.ContactsService)
      .getGroup({ groupId: seed.group!.id }, { headers: callHeaders({ caller: c0 }) });
    expect(group.group!.memberCount).toBe(130);
  }, 60_000);

  it('makes a ring of friends beside the pairs, each user with --friends friends', async () => {
    const seed = await benchSeed(server.app, { users: 7, groupSize: 0, tag: 'ring', friends: 4 });
    expect(seed.friends).toBe(4);
    const list = async (i: number) => {
      const c = await server.app.value('tokens').verify(seed.users[i]!.accessToken);
      const r = await server.app
        .value('rpc')
        .client(contacts.ContactsService)
        .listFriends({}, { headers: callHeaders({ caller: c }) });
      return r.friends.map((f) => f.user!.id).sort();
    };
    for (const i of [0, 3, 6]) {
      // The ring (i±1, i±2), plus the pair partner when it is not on it already (0-1, 2-3, 4-5).
      const ids = new Set(ringFriends(i, 7, 4));
      const pair = seed.pairs.find((p) => p.a === i || p.b === i);
      if (pair) ids.add(pair.a === i ? pair.b : pair.a);
      expect(await list(i)).toEqual([...ids].map((j) => seed.users[j]!.id).sort());
    }
    expect(ringFriends(0, 7, 4).sort()).toEqual([1, 2, 5, 6]);
  });

  it('writes a square board in bulk by the seeded users when asked', async () => {
    const { app } = server;
    const seed = await benchSeed(app, {
      users: 3,
      groupSize: 0,
      tag: 'seedsquare',
      pairs: false,
      squareThreads: 20,
      squareReplies: 50,
    });
    expect(seed.square).toMatchObject({ threads: 20, replies: 50 });
    expect(seed.square!.sample).toHaveLength(20);
    const threads = await SquareStore.of(app.value('sql')).page(
      seed.square!.boardId,
      'latest',
      undefined,
      50,
    );
    expect(threads.map((t) => t.id).sort()).toEqual(seed.square!.sample.map((t) => t.id).sort());
    expect(new Set(threads.map((t) => t.authorId))).toEqual(new Set(seed.users.map((u) => u.id)));
    // Without the options there is no board.
    expect((await benchSeed(app, { users: 2, groupSize: 0, tag: 'seednosquare' })).square).toBeUndefined();
  });

  it('writes the search corpus into the group and the pairs’ chats when asked', async () => {
    const { app } = server;
    const seed = await benchSeed(app, { users: 4, groupSize: 4, tag: 'seedmsgs', messages: 40 });
    expect(seed.messages).toBe(40);
    const c0 = await app.value('tokens').verify(seed.users[0]!.accessToken);
    const history = async (conversationId: string) =>
      (
        await app
          .value('rpc')
          .client(message.MessageService)
          .getHistory({ conversationId, limit: 200 }, { headers: callHeaders({ caller: c0 }) })
      ).messages.filter((m) => m.type === message.MessageType.TEXT);
    const inGroup = await history(seed.group!.id);
    // Every other message in the group, the rest over the two pairs.
    expect(inGroup).toHaveLength(20);
    expect(new Set(inGroup.map((m) => m.senderId))).toEqual(new Set(seed.users.map((u) => u.id)));
    expect(inGroup.every((m) => m.content?.body.case === 'text')).toBe(true);
    expect(await history(seed.pairs[0]!.conversationId)).toHaveLength(10);
    expect((await benchSeed(app, { users: 2, groupSize: 0, tag: 'seednomsgs' })).messages).toBe(0);
  });

  it('refuses a bad plan', () => {
    expect(() => validatePlan({ users: 4, groupSize: 0, tag: 'a', friends: 3 })).toThrow(/--friends/);
    expect(() => validatePlan({ users: 4, groupSize: 0, tag: 'a', friends: 4 })).toThrow(/--friends/);
    expect(() => validatePlan({ users: 1, groupSize: 0, tag: 'a' })).toThrow(/--users/);
    expect(() => validatePlan({ users: 4, groupSize: 5, tag: 'a' })).toThrow(/--group-size/);
    expect(() => validatePlan({ users: 4, groupSize: 0, tag: 'A B' })).toThrow(/--tag/);
    const square = (squareThreads: number, squareReplies: number) => () =>
      validatePlan({ users: 4, groupSize: 0, tag: 'a', squareThreads, squareReplies });
    expect(square(-1, 0)).toThrow(/--square-threads/);
    expect(square(1.5, 0)).toThrow(/--square-threads/);
    expect(square(0, 10)).toThrow(/--square-replies/);
    expect(square(10, -1)).toThrow(/--square-replies/);
    expect(square(10, 100)).not.toThrow();
    const messages =
      (n: number, pairs = true) =>
      () =>
        validatePlan({ users: 4, groupSize: 0, tag: 'a', pairs, messages: n });
    expect(messages(-1)).toThrow(/--messages/);
    expect(messages(2.5)).toThrow(/--messages/);
    expect(messages(10, false)).toThrow(/--messages needs a group/);
    expect(messages(10)).not.toThrow();
  });
});

describe('bench-seed when bench.seed is off (the default)', () => {
  it('refuses in-process, creating nothing', async () => {
    const server = await startTestServer({ targets: SERVICES });
    try {
      await expect(benchSeed(server.app, { users: 4, groupSize: 0, tag: 'off' })).rejects.toThrow(
        ConfigError,
      );
      await expect(benchSeed(server.app, { users: 4, groupSize: 0, tag: 'off' })).rejects.toThrow(
        /bench-seed is disabled.*bench\.seed=true/,
      );
    } finally {
      await server.stop();
    }
  });

  it('`mychat bench-seed` exits with 2, says why, and writes no file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-seed-off-'));
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MYCHAT_')));
    try {
      const err = await run(process.execPath, [MAIN, 'bench-seed', '--out=seed.json', '--users=4'], {
        cwd: dir,
        env: { ...env, MYCHAT_DATA_DIR: dir },
      }).then(
        () => undefined,
        (e: { code: number; stderr: string }) => e,
      );
      expect(err?.code).toBe(2);
      expect(err?.stderr).toContain('bench-seed is disabled');
      expect(fs.existsSync(path.join(dir, 'seed.json'))).toBe(false);
      // Without --out it says what is missing, also with exit code 2.
      const noOut = await run(process.execPath, [MAIN, 'bench-seed'], {
        cwd: dir,
        env: { ...env, MYCHAT_DATA_DIR: dir, MYCHAT_BENCH_SEED: 'true' },
      }).then(
        () => undefined,
        (e: { code: number; stderr: string }) => e,
      );
      expect(noOut?.code).toBe(2);
      expect(noOut?.stderr).toContain('--out=<file>');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
