import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../../../adapters/sql/sql.js';
import { openSqliteSql } from '../../../adapters/sql/sqlite.sql.js';
import { backendAvailable } from '../../../../test/helpers/backends.js';
import { openTestDatabase, silentLogger, type TestDatabase } from '../../../../test/helpers/sql-databases.js';
import { messageMigrations } from '../message.migrations.js';
import type { MessageRow } from '../message.tables.js';
import { createMessageStore } from './create-message-store.js';
import type { MessageStore } from './message-store.js';
import { emojiKey, emojiOf, MessageOpsStore } from './ops-store.js';

/**
 * The SQL of reactions, pins and edits on every engine. Emoji are stored as ASCII keys: MariaDB's
 * default collations compare all emoji outside the BMP as equal, which would make 😀 and 👍 one.
 */
let next = 484785105459081000n;
const id = () => String(next++);

for (const engine of ['sqlite', 'postgres', 'mysql'] as const) {
  const ok = engine === 'sqlite' || (await backendAvailable(engine));
  describe.skipIf(!ok)(`reactions, pins and edits in SQL on ${engine}`, () => {
    let sql: SqlDatabase;
    let testDb: TestDatabase | undefined;
    let store: MessageStore;
    let ops: MessageOpsStore;

    beforeAll(async () => {
      if (engine === 'sqlite') sql = await openSqliteSql(':memory:', silentLogger());
      else sql = (testDb = await openTestDatabase(engine)).sql;
      await sql.migrate('msg', messageMigrations);
      store = createMessageStore(sql);
      ops = new MessageOpsStore(store.db);
    });
    afterAll(async () => {
      if (testDb) await testDb.dispose();
      else await sql?.close();
    });

    const row = (
      convId: string,
      seq: number,
      type: number,
      content = '{"text":{"text":"x"}}',
    ): MessageRow => ({
      convId,
      seq,
      id: id(),
      senderId: '7',
      clientMsgId: `c${next}`,
      type,
      content,
      replyToSeq: 0,
      mentions: [],
      mentionAll: false,
      createdAt: 1000 + seq,
      recalledAt: null,
    });

    it('keeps emoji apart and counts them per message, most used first, with the viewer’s own', async () => {
      expect(emojiOf(emojiKey('👨‍👩‍👧'))).toBe('👨‍👩‍👧');
      const conv = id();
      await store.transaction(async (tx) => {
        await ops.addReaction(tx, conv, 1, '😀', '1', 10);
        await ops.addReaction(tx, conv, 1, '👍', '1', 11);
        await ops.addReaction(tx, conv, 1, '👍', '2', 12);
        await ops.addReaction(tx, conv, 2, '❤️', '2', 13);
        await ops.addReaction(tx, conv, 9, '❤️', '2', 13);
      });
      const got = await ops.reactions(conv, 1, 2, '1');
      expect(got.get(1)).toEqual([
        { emoji: '👍', count: 2, mine: true },
        { emoji: '😀', count: 1, mine: true },
      ]);
      expect(got.get(2)).toEqual([{ emoji: '❤️', count: 1, mine: false }]);
      expect(got.has(9)).toBe(false);
      expect(await ops.hasReaction(store.db, conv, 1, '👍', '2')).toBe(true);
      await ops.removeReaction(store.db, conv, 1, '👍', '2');
      expect(await ops.hasReaction(store.db, conv, 1, '👍', '2')).toBe(false);
    });

    it('pins newest first, unpins once; counts silent messages and finds the last one to preview', async () => {
      const conv = id();
      await store.transaction(async (tx) => {
        await ops.pin(tx, conv, 3, '1', 100);
        await ops.pin(tx, conv, 1, '1', 200);
      });
      expect((await ops.pinnedSeqs([conv])).get(conv)).toEqual([1, 3]);
      expect(await ops.unpin(store.db, conv, 3)).toBe(true);
      expect(await ops.unpin(store.db, conv, 3)).toBe(false);

      await store.transaction(async (tx) => {
        await store.insertMessage(tx, row(conv, 1, 1));
        await store.insertMessage(tx, row(conv, 2, 22));
        await store.insertMessage(tx, row(conv, 3, 24));
        await store.insertMessage(tx, row(conv, 4, 23));
        await store.insertMessage(tx, row(conv, 5, 22));
      });
      expect((await ops.silentCounts([{ convId: conv, after: 1, upTo: 5 }])).get(conv)).toBe(3);
      expect((await ops.silentCounts([{ convId: conv, after: 3, upTo: 4 }])).get(conv)).toBe(1);
      expect((await ops.lastLoud([{ id: conv, seq: 5 }])).get(conv)?.seq).toBe(3);
    });

    it('stores an edit with its time, and a recall blanks the edit messages and unpins', async () => {
      const conv = id();
      await store.transaction(async (tx) => {
        await store.insertMessage(tx, row(conv, 1, 1, '{"text":{"text":"helo"}}'));
        await store.insertMessage(tx, row(conv, 2, 23, '{"edit":{"seq":1,"text":"hello"}}'));
        await ops.markEdited(tx, conv, 1, '{"text":{"text":"hello"}}', 2, 5000);
        await ops.pin(tx, conv, 1, '7', 5000);
      });
      const [edited] = await store.range(conv, { after: 0, min: 1, max: 1, limit: 1 });
      expect(edited).toMatchObject({ content: '{"text":{"text":"hello"}}', editedAt: 5000 });
      await store.transaction(async (tx) => {
        await store.markRecalled(tx, conv, 1, 6000);
        await ops.recallOps(tx, conv, 1, 6000);
      });
      const rows = await store.range(conv, { after: 0, min: 1, max: 2, limit: 2 });
      expect(rows.map((r) => [r.content, r.recalledAt])).toEqual([
        ['{}', 6000],
        ['{}', 6000],
      ]);
      expect((await ops.pinnedSeqs([conv])).get(conv)).toBeUndefined();
    });
  });
}
