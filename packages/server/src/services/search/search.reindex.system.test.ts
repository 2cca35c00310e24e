import { create } from '@bufbuild/protobuf';
import { message as msg, moments, search, square } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchCommand } from '../../commands/search.js';
import { SquareStore } from '../square/square.repository.js';
import {
  befriend,
  newUser,
  startContactsEnv,
  type ContactsEnv,
} from '../../../test/helpers/contacts-helpers.js';

/**
 * `mychat search reindex` builds the index from every stored message and post (moments, the
 * square): here for a server whose
 * worker does not index (search.indexer=false), so only the rebuild can find anything.
 */
describe('mychat search reindex', () => {
  let env: ContactsEnv;
  beforeAll(async () => {
    env = await startContactsEnv(
      { name: 'SQLite', engine: 'sqlite', redis: false, fakeMessage: false },
      { search: { indexer: false } },
    );
  });
  afterAll(() => env?.stop());

  it('rebuilds the index from the stored messages, moments and square posts', async () => {
    const [a, b] = [await newUser(env, 'A'), await newUser(env, 'B')];
    const conversationId = await befriend(env.api, a, b);
    const text = (t: string) =>
      create(msg.MessageContentSchema, { body: { case: 'text', value: { text: t } } });
    for (const [i, t] of ['去公园散步', '公园门口见', '不相关'].entries())
      await env.messages.sendMessage({ conversationId, clientMsgId: `reindex-${i}`, content: text(t) }, a.h);
    const post = await env.server.client(moments.MomentsService).publishMoment({ text: '公园的樱花' }, a.h);
    const boardId = '9000000000000003';
    await SquareStore.of(env.server.app.value('sql')).insertBoard({
      id: boardId,
      name: 'General',
      description: '',
      groupId: '',
      threadCount: 0,
      createdBy: '0',
      createdAt: Date.now(),
    });
    const thread = await env.server
      .client(square.SquareService)
      .createThread({ boardId, title: '湖边', body: '湖边的樱花' }, a.h);
    const api = env.server.client(search.SearchService);
    expect((await api.searchMessages({ query: '公园' }, b.h)).hits).toEqual([]);
    expect((await api.searchSquare({ query: '湖边' }, b.h)).hits).toEqual([]);
    expect((await api.searchMoments({ query: '樱花' }, b.h)).hits).toEqual([]);

    const lines: string[] = [];
    const code = await searchCommand(
      'reindex',
      { env: {}, overrides: { dataDir: env.server.dataDir, log: { level: 'warn' } } },
      (l) => lines.push(l),
    );
    expect(code).toBe(0);
    expect(lines.join('\n')).toMatch(/search index rebuilt: 5 documents/);
    const r = await api.searchMessages({ query: '公园' }, b.h);
    expect(r.hits.map((h) => h.snippet)).toEqual(['公园门口见', '去公园散步']);
    const found = await api.searchMoments({ query: '樱花' }, b.h);
    expect(found.hits.map((h) => h.momentId)).toEqual([post.moment!.id]);
    const inSquare = await api.searchSquare({ query: '湖边' }, b.h);
    expect(inSquare.hits.map((h) => h.postId)).toEqual([thread.post!.id]);
  });

  it('names its one subcommand when given another', async () => {
    await expect(searchCommand('nonsense', { env: {} }, () => undefined)).rejects.toThrow(
      /mychat search reindex/,
    );
  });
});
