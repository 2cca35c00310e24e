import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteSql } from '../../../adapters/sql/sqlite.sql.js';
import type { SqlDatabase } from '../../../adapters/sql/sql.js';
import { directConversation } from '../../../../test/helpers/message-fixtures.js';
import { silentLogger } from '../../../../test/helpers/sql-databases.js';
import { messageMigrations } from '../message.migrations.js';
import { CONV_DIRECT, type MessageRow } from '../message.tables.js';
import { MessageWriter } from '../message.writer.js';
import { createMessageStore } from './create-message-store.js';
import type { MessageStore } from './message-store.js';
import type { SendContext } from './rows.js';
import { ContextCache } from './sqlite-context-cache.js';

const context = (
  convId: string,
  userId: string,
  over: { lastSeq?: number; readSeq?: number } = {},
): SendContext => ({
  conv: {
    id: convId,
    type: CONV_DIRECT,
    name: '',
    mutedAll: false,
    lastSeq: over.lastSeq ?? 5,
    lastMessageAt: 1,
  },
  me: {
    convId,
    userId,
    role: 1,
    sendState: 0,
    mutedUntil: 0,
    firstSeq: 1,
    leftSeq: null,
    readSeq: over.readSeq ?? 2,
    deliveredSeq: 3,
    muted: false,
    pinned: false,
    pts: 0,
  },
  directMembers: [userId, 'peer'],
  hidesReceipts: false,
});

describe('ContextCache', () => {
  it('gives back what was filled, as copies', () => {
    const c = new ContextCache();
    c.fill(context('1', 'a'), c.epoch());
    const got = c.get('1', 'a')!;
    expect(got).toEqual(context('1', 'a'));
    got.conv.lastSeq = 99;
    got.me.readSeq = 99;
    got.directMembers!.push('x');
    expect(c.get('1', 'a')).toEqual(context('1', 'a'));
    expect(c.get('1', 'b')).toBeUndefined();
    expect(c.get('2', 'a')).toBeUndefined();
  });

  it('ignores a fill from a read that ran before a write', () => {
    const c = new ContextCache();
    const before = c.epoch();
    c.written();
    c.fill(context('1', 'a'), before);
    expect(c.get('1', 'a')).toBeUndefined();
    const beforeDrop = c.epoch();
    c.dropConversation('7');
    c.fill(context('1', 'a'), beforeDrop);
    expect(c.get('1', 'a')).toBeUndefined();
  });

  it('moves heads and cursors forward only, and only of what it holds', () => {
    const c = new ContextCache();
    c.fill(context('1', 'a'), c.epoch());
    c.headMoved('1', 9, 50);
    c.headMoved('1', 7, 40); // a late, older move changes nothing
    c.cursorMoved('1', 'a', { read: 8 });
    c.cursorMoved('1', 'a', { delivered: 4 });
    const got = c.get('1', 'a')!;
    expect([got.conv.lastSeq, got.conv.lastMessageAt, got.me.readSeq, got.me.deliveredSeq]).toEqual([
      9, 50, 8, 8,
    ]);
    c.headMoved('2', 9, 50);
    c.cursorMoved('1', 'b', { read: 8 });
    expect(c.size).toEqual({ conversations: 1, members: 1 });
  });

  it('forgets every member of a dropped conversation, also once another member refilled it', () => {
    const c = new ContextCache();
    c.fill(context('1', 'a'), c.epoch());
    c.fill(context('1', 'b'), c.epoch());
    c.fill(context('2', 'a'), c.epoch());
    c.dropConversation('1');
    expect(c.get('1', 'a')).toBeUndefined();
    c.fill(context('1', 'b', { lastSeq: 6 }), c.epoch());
    expect(c.get('1', 'b')!.conv.lastSeq).toBe(6);
    expect(c.get('1', 'a')).toBeUndefined(); // filled before the drop
    expect(c.get('2', 'a')).toBeDefined();
    c.dropAll();
    expect(c.get('2', 'a')).toBeUndefined();
    expect(c.get('1', 'b')).toBeUndefined();
  });
});

describe('send contexts on SQLite stay true with the cache', () => {
  let dir: string;
  let sql: SqlDatabase;
  let repo: MessageStore;
  let writer: MessageWriter;
  let nextId = 5000;
  const message = (convId: string, senderId: string): MessageRow => ({
    convId,
    seq: 0,
    id: String(nextId++),
    senderId,
    clientMsgId: `c${nextId}`,
    type: 1,
    content: '{"text":"hi"}',
    replyToSeq: 0,
    mentions: [],
    mentionAll: false,
    createdAt: 1000 + nextId,
    recalledAt: null,
  });
  /** Lets the store look at SQLite's data_version again (at most every 20 ms). */
  const versionCheckDue = () => new Promise((r) => setTimeout(r, 25));

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-ctx-'));
    sql = await openSqliteSql(path.join(dir, 'm.db'), silentLogger());
    await sql.migrate('msg', messageMigrations);
    repo = createMessageStore(sql);
    writer = new MessageWriter(repo);
    await directConversation(repo, '21', ['1', '2']);
  });
  afterAll(async () => {
    await sql?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows the group commit: the head, the sender read cursor, delivered cursors', async () => {
    expect((await repo.sendContext('21', '1'))!.conv.lastSeq).toBe(0); // now cached
    await repo.sendContext('21', '2');
    await Promise.all([writer.store(message('21', '1')), writer.store(message('21', '1'))]);
    const sender = (await repo.sendContext('21', '1'))!;
    expect([sender.conv.lastSeq, sender.me.readSeq, sender.me.deliveredSeq]).toEqual([2, 2, 2]);
    expect(await writer.advanceDelivered('21', '2', 2)).toBe(true);
    const peer = (await repo.sendContext('21', '2'))!;
    expect([peer.conv.lastSeq, peer.me.readSeq, peer.me.deliveredSeq]).toEqual([2, 0, 2]);
  });

  it('shows a change made outside the group commit (leave, mute, receipts setting)', async () => {
    await repo.sendContext('21', '1');
    await repo.updateMember(repo.db, '21', '2', { left_seq: 2 });
    expect((await repo.sendContext('21', '1'))!.directMembers).toEqual(['1']);
    await repo.updateConversation(repo.db, '21', { muted_all: 1 });
    expect((await repo.sendContext('21', '1'))!.conv.mutedAll).toBe(true);
    await repo.setHideReadReceipts('1', true);
    expect((await repo.sendContext('21', '1'))!.hidesReceipts).toBe(true);
    await repo.updateMember(repo.db, '21', '2', { left_seq: null });
    await repo.updateConversation(repo.db, '21', { muted_all: 0 });
    await repo.setHideReadReceipts('1', false);
  });

  it('keeps nothing of a group commit that rolled back', async () => {
    const before = (await repo.sendContext('21', '1'))!;
    await expect(
      repo.groupCommit(async (tx) => {
        await repo.storeNew(tx, [message('21', '1')], 9999);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    const after = (await repo.sendContext('21', '1'))!;
    expect([after.conv.lastSeq, after.me.readSeq]).toEqual([before.conv.lastSeq, before.me.readSeq]);
    expect((await repo.conversation('21'))!.lastSeq).toBe(before.conv.lastSeq);
  });

  it('drops everything when another process wrote to the file', async () => {
    expect((await repo.sendContext('21', '1'))!.me.mutedUntil).toBe(0);
    const other = await openSqliteSql(path.join(dir, 'm.db'), silentLogger());
    try {
      await other.db
        .updateTable('msg_members')
        .set({ muted_until: 123 })
        .where('user_id', '=', '1')
        .execute();
    } finally {
      await other.close();
    }
    await versionCheckDue();
    expect((await repo.sendContext('21', '1'))!.me.mutedUntil).toBe(123);
  });
});
