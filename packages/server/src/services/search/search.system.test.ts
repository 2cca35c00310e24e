import { create } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { message as msg, search } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
import {
  befriend,
  CONTACTS_SETUPS,
  newUser,
  setupAvailable,
  startContactsEnv,
  type ContactsEnv,
  type TestUser,
} from '../../../test/helpers/contacts-helpers.js';
import { eventually } from '../../../test/helpers/eventually.js';
import { upload, uploadOk } from '../../../test/helpers/media-helpers.js';

/**
 * SearchService through the gateway of a real server: the indexer follows the messages, and a
 * person finds exactly what GetHistory shows them.
 */
const text = (t: string) => create(msg.MessageContentSchema, { body: { case: 'text', value: { text: t } } });
let n = 0;
const cid = () => `search-${Date.now()}-${++n}`;

for (const setup of CONTACTS_SETUPS.filter((s) => !s.fakeMessage)) {
  const ok = await setupAvailable(setup);

  describe.skipIf(!ok)(`search on ${setup.name}`, () => {
    let env: ContactsEnv;
    let api: Client<typeof search.SearchService>;
    let a: TestUser, b: TestUser, c: TestUser, stranger: TestUser;
    let direct: string;
    let group: string;
    const send = async (u: TestUser, conversationId: string, t: string) =>
      (await env.messages.sendMessage({ conversationId, clientMsgId: cid(), content: text(t) }, u.h))
        .message!;
    const find = (u: TestUser, query: string, extra: Partial<search.SearchMessagesRequest> = {}) =>
      api.searchMessages({ query, ...extra }, u.h);
    const seqs = (r: search.SearchMessagesResponse) => r.hits.map((h) => `${h.conversationId}:${h.seq}`);
    /** Waits until the indexer has taken everything sent so far (a marker message is found). */
    const settled = async (ms?: number) => {
      const marker = `marker${++n}x`;
      await send(a, direct, marker);
      await eventually(
        () => find(a, marker),
        (r) => r.hits.length === 1,
        ms,
      );
    };

    beforeAll(async () => {
      // Sends well past a user's rate: a conversation of more hits than a count shows.
      env = await startContactsEnv(setup, {
        search: { pollIntervalMs: 20 },
        message: { sendRatePerSecond: 1000, sendBurst: 1000 },
      });
      api = env.server.client(search.SearchService);
      [a, b, c, stranger] = [
        await newUser(env, '张三'),
        await newUser(env, 'Bob Li'),
        await newUser(env, '李小龙'),
        await newUser(env, 'Stranger'),
      ];
      direct = await befriend(env.api, a, b);
      await befriend(env.api, a, c);
      group = (await env.api.createGroup({ name: '周末爬山群', memberIds: [b.id] }, a.h)).group!.id;
      // The indexer running (its thread loads its code first: slow from the sources on a busy host).
      await settled(45_000);
    });
    afterAll(() => env?.stop());

    it('finds 公园 in a sentence, with a highlighted snippet and per-conversation counts', async () => {
      const m1 = await send(a, direct, '我们周末去公园散步吧');
      await send(b, direct, '好的，公园门口见');
      await send(b, group, '这个公园人太多了');
      const r = await eventually(
        () => find(a, '公园'),
        (x) => x.hits.length === 3,
      );
      expect(r.hits.map((h) => h.snippet)).toEqual([
        '这个公园人太多了',
        '好的，公园门口见',
        '我们周末去公园散步吧',
      ]);
      const first = r.hits[2]!;
      expect(first).toMatchObject({ conversationId: direct, seq: m1.seq, senderId: a.id, messageId: m1.id });
      expect(first.snippet.slice(first.highlights[0]!.start, first.highlights[0]!.end)).toBe('公园');
      expect(r.conversations.map((x) => [x.conversationId, x.count])).toEqual([
        [group, 1],
        [direct, 2],
      ]);
      // Traditional finds Simplified; one character finds it too.
      expect((await find(a, '公園')).hits).toHaveLength(3);
      expect((await find(a, '园')).hits.length).toBeGreaterThanOrEqual(3);
    });

    it('counts the hits of a conversation up to 99 and says "99+" past it', async () => {
      for (let i = 0; i < 100; i++) await send(b, group, `计数上限 ${i}`);
      await send(a, direct, '计数上限 once');
      await settled();
      const r = await find(a, '计数上限');
      expect(r.conversations.map((x) => [x.conversationId, x.count, x.capped])).toEqual([
        [direct, 1, false],
        [group, 99, true],
      ]);
      // Paging still reaches every hit, 101 of them.
      let all = r.hits.length;
      for (let token = r.nextPageToken; token;) {
        const p = await find(a, '计数上限', { pageToken: token, limit: 50 });
        all += p.hits.length;
        expect(p.conversations).toEqual([]);
        token = p.nextPageToken;
      }
      expect(all).toBe(101);
    });

    it('searches one conversation by seq and pages with a token', async () => {
      for (let i = 0; i < 5; i++) await send(a, direct, `第${i}次 page test`);
      await settled();
      const p1 = await find(a, 'page', { conversationId: direct, limit: 2 });
      expect(p1.hits.map((h) => h.snippet)).toEqual(['第4次 page test', '第3次 page test']);
      expect(p1.nextPageToken).not.toBe('');
      const p2 = await find(a, 'page', { conversationId: direct, limit: 2, pageToken: p1.nextPageToken });
      expect(p2.hits.map((h) => h.snippet)).toEqual(['第2次 page test', '第1次 page test']);
      expect(p2.conversations).toEqual([]);
      const p3 = await find(a, 'page', { conversationId: direct, limit: 2, pageToken: p2.nextPageToken });
      expect(p3.hits.map((h) => h.snippet)).toEqual(['第0次 page test']);
      expect(p3.nextPageToken).toBe('');
      // Filters: sender and time.
      expect((await find(a, 'page', { senderId: b.id })).hits).toEqual([]);
      expect((await find(a, 'page', { until: timestampFromMs(Date.now() - 3_600_000) })).hits).toEqual([]);
      expect((await find(a, 'page', { since: timestampFromMs(Date.now() - 3_600_000) })).hits).toHaveLength(
        5,
      );
    });

    it('never shows a recalled message', async () => {
      const m = await send(a, direct, '撤回的秘密消息');
      await eventually(
        () => find(b, '秘密消息'),
        (r) => r.hits.length === 1,
      );
      await env.messages.recallMessage({ conversationId: direct, seq: m.seq }, a.h);
      const r = await eventually(
        () => find(b, '秘密消息'),
        (x) => x.hits.length === 0,
      );
      expect(r.hits).toEqual([]);
      expect(r.conversations).toEqual([]);
    });

    it('finds an edited message by its new text only', async () => {
      const m = await send(a, direct, '周五去爬香山');
      await eventually(
        () => find(b, '香山'),
        (r) => r.hits.length === 1,
      );
      await env.messages.editMessage({ conversationId: direct, seq: m.seq, text: '周六去爬泰山' }, a.h);
      const r = await eventually(
        () => find(b, '泰山'),
        (x) => x.hits.length === 1,
      );
      expect(r.hits[0]!.snippet).toBe('周六去爬泰山');
      expect((await find(b, '香山')).hits).toEqual([]);
    });

    it('shows a member who joined later nothing from before, and one who left nothing after', async () => {
      const before = await send(a, group, '入群之前的登山计划');
      await env.api.inviteToGroup({ groupId: group, userIds: [c.id] }, a.h);
      const after = await send(a, group, '入群之后的登山装备');
      await settled();
      expect(seqs(await find(c, '登山'))).toEqual([`${group}:${after.seq}`]);
      expect(seqs(await find(b, '登山'))).toEqual([`${group}:${after.seq}`, `${group}:${before.seq}`]);
      await env.api.leaveGroup({ groupId: group }, b.h);
      const late = await send(a, group, '退群之后的登山路线');
      await settled();
      expect(seqs(await find(b, '登山'))).toEqual([`${group}:${after.seq}`, `${group}:${before.seq}`]);
      expect(seqs(await find(c, '登山'))).toEqual([`${group}:${late.seq}`, `${group}:${after.seq}`]);
      // In-chat search keeps the same windows.
      expect(seqs(await find(b, '登山', { conversationId: group }))).toHaveLength(2);
    });

    it('shows a stranger nothing, even naming the conversation', async () => {
      expect((await find(stranger, '公园')).hits).toEqual([]);
      const r = await find(stranger, '公园', { conversationId: direct });
      expect(r.hits).toEqual([]);
      expect(r.conversations).toEqual([]);
    });

    it('finds friends by pinyin and groups by name or member', async () => {
      const byInitials = await api.searchContacts({ query: 'zs' }, b.h);
      expect(byInitials.friends.map((f) => f.friend!.user!.id)).toEqual([a.id]);
      expect(byInitials.friends[0]).toMatchObject({ field: 'nickname', byPinyin: true });
      expect((await api.searchContacts({ query: 'zhangsan' }, b.h)).friends).toHaveLength(1);
      expect((await api.searchContacts({ query: 'xl' }, a.h)).friends.map((f) => f.friend!.user!.id)).toEqual(
        [c.id],
      );
      await env.api.setRemark({ userId: b.id, remark: '老同学' }, a.h);
      expect((await api.searchContacts({ query: 'ltx' }, a.h)).friends[0]).toMatchObject({ field: 'remark' });
      const groups = await api.searchContacts({ query: '爬山' }, a.h);
      expect(groups.groups.map((g) => [g.group!.id, g.field])).toEqual([[group, 'name']]);
      const byMember = await api.searchContacts({ query: 'lixiaolong' }, a.h);
      expect(byMember.groups.map((g) => [g.field, g.memberNames])).toEqual([['member', ['李小龙']]]);
      expect((await api.searchContacts({ query: 'zs' }, stranger.h)).friends).toEqual([]);
      // One's own name does not list every group one is in.
      expect((await api.searchContacts({ query: 'zhangsan' }, a.h)).groups).toEqual([]);
    });

    it('finds files by name and kind, in chats and in the drive', async () => {
      const token = a.h.headers.authorization.slice('Bearer '.length);
      const m = await uploadOk(
        env.server.baseUrl,
        token,
        'file',
        Buffer.from('quarterly numbers'),
        '季度报告.txt',
      );
      const content = create(msg.MessageContentSchema, {
        body: { case: 'file', value: { file: { mediaId: m.id }, name: '季度报告.txt' } },
      });
      await env.messages.sendMessage({ conversationId: direct, clientMsgId: cid(), content }, a.h);
      const drive = await upload(env.server.baseUrl, token, 'file', Buffer.from('plan'), 'Roadmap 2025.txt', {
        folder: 'root',
      });
      expect(drive.status).toBe(201);
      const r = await eventually(
        () => api.searchFiles({ query: '报告' }, b.h),
        (x) => x.chatFiles.length === 1,
      );
      expect(r.chatFiles[0]!.message!.conversationId).toBe(direct);
      expect(r.chatFiles[0]!.message!.content!.body.case).toBe('file');
      expect(r.chatFiles[0]).toMatchObject({ name: '季度报告.txt', kind: search.FileKind.FILE });
      expect(r.driveFiles).toEqual([]);
      const mine = await api.searchFiles({ query: 'road' }, a.h);
      expect(mine.driveFiles.map((f) => f.entry!.name)).toEqual(['Roadmap 2025.txt']);
      expect((await api.searchFiles({ query: '', kind: search.FileKind.FILE }, a.h)).chatFiles).toHaveLength(
        1,
      );
      expect((await api.searchFiles({ query: '报告' }, stranger.h)).chatFiles).toEqual([]);
      expect((await api.searchFiles({ query: 'road' }, b.h)).driveFiles).toEqual([]);
    });

    it('refuses bad input with a clear error', async () => {
      await expectReason(find(a, ''), 'INVALID_ARGUMENT');
      await expectReason(find(a, '   '), 'INVALID_ARGUMENT');
      await expectReason(find(a, '公'.repeat(1000)), 'FIELD_TOO_LONG');
      await expectReason(find(a, '公园', { pageToken: 'not-a-token' }), 'INVALID_ARGUMENT');
      await expectReason(
        find(a, '公园', { pageToken: Buffer.from('t:1:abc:3').toString('base64url') }),
        'INVALID_ARGUMENT',
      );
      await expectReason(find(a, '公园', { limit: 500 }), 'INVALID_ARGUMENT');
      await expectReason(find(a, '公园', { conversationId: 'abc' }), 'INVALID_ARGUMENT');
      await expectReason(find(a, '公园', { type: msg.MessageType.RECALL }), 'INVALID_ARGUMENT');
      await expectReason(api.searchContacts({ query: '' }, a.h), 'INVALID_ARGUMENT');
      await expectReason(api.searchFiles({ query: '' }, a.h), 'INVALID_ARGUMENT');
      await expectReason(api.searchMessages({ query: '公园' }), 'UNAUTHENTICATED');
      // Emoji and punctuation alone are a query that matches nothing, not an error.
      expect((await find(a, '😀🎉')).hits).toEqual([]);
      expect((await find(a, '，。！')).hits).toEqual([]);
    });
  });
}
