import { createClient, createRouterTransport } from '@connectrpc/connect';
import { contacts } from '@mychat/protocol';
import { describe, expect, it } from 'vitest';
import { createMemoryKv } from '../../adapters/kv/memory.kv.js';
import { touchCircles } from '../../contracts/circle-stamps.js';
import { manualClock } from '../../kernel/clock.js';
import { Contacts } from './moments.peers.js';
import { Profiles } from './moments.profiles.js';

/**
 * The profile cache's bookkeeping (moments.profiles.ts), against a contacts service on an
 * in-memory transport that answers from a table and counts what it is asked: per viewer, a
 * viewer's graph stamp drops only that viewer's copies, a person's profile stamp only that
 * person's, and the bound drops the viewers read least recently, whole.
 */
function setup(maxEntries: number) {
  const names = new Map<string, string>();
  const asked: string[] = [];
  const transport = createRouterTransport(({ service }) =>
    service(contacts.ContactsInternalService, {
      lookupUsers(req) {
        asked.push(...req.userIds.map((id) => `${req.viewerId}>${id}`));
        return {
          users: req.userIds
            .filter((id) => names.has(id))
            .map((id) => ({ user: { id, nickname: names.get(id)! }, remark: '' })),
        };
      },
    }),
  );
  const kv = createMemoryKv();
  const clock = manualClock(1_000_000);
  const profiles = new Profiles({
    contacts: new Contacts(createClient(contacts.ContactsInternalService, transport)),
    kv,
    clock,
    maxEntries,
  });
  const read = async (viewer: string, ids: string[], likely: string[] = []) => {
    const got = await profiles.of({ userId: viewer, sessionId: 's', requestId: 'r' }, ids, likely);
    return [...got.values()].map((p) => p.nickname);
  };
  const take = () => asked.splice(0).sort();
  return { names, kv, clock, profiles, read, take };
}

describe('moments profile cache', () => {
  it("keeps each viewer's people and asks again only for what a stamp says changed", async () => {
    const t = setup(100);
    t.names.set('p1', 'Ann').set('p2', 'Ben');
    expect(await t.read('v1', ['p1', 'p2', 'gone'])).toEqual(['Ann', 'Ben']);
    expect(await t.read('v2', ['p1'])).toEqual(['Ann']);
    expect(t.take()).toEqual(['v1>gone', 'v1>p1', 'v1>p2', 'v2>p1']);
    expect(t.profiles.size).toBe(4);

    t.names.set('p1', 'Annie');
    expect(await t.read('v1', ['p1', 'p2', 'gone'])).toEqual(['Ann', 'Ben']);
    expect(t.take()).toEqual([]);

    await touchCircles(t.kv, 'profile', ['p1']);
    expect(await t.read('v1', ['p1', 'p2'])).toEqual(['Annie', 'Ben']);
    expect(await t.read('v2', ['p1'])).toEqual(['Annie']);
    expect(t.take()).toEqual(['v1>p1', 'v2>p1']);

    t.names.set('p2', 'Benny');
    await touchCircles(t.kv, 'graph', ['v1']);
    expect(await t.read('v1', ['p1', 'p2'])).toEqual(['Annie', 'Benny']);
    expect(await t.read('v2', ['p1'])).toEqual(['Annie']);
    expect(t.take()).toEqual(['v1>p1', 'v1>p2']);
    expect(t.profiles.size).toBe(3);
  });

  it('asks again once a copy is older than the longest a stamp is trusted', async () => {
    const t = setup(100);
    t.names.set('p1', 'Ann');
    await t.read('v1', ['p1']);
    t.clock.advance(301_000);
    t.names.set('p1', 'Annie');
    expect(await t.read('v1', ['p1'])).toEqual(['Annie']);
    expect(t.take()).toEqual(['v1>p1', 'v1>p1']);
  });

  it('drops the viewers read least recently, whole, beyond the bound', async () => {
    const t = setup(4);
    for (const p of ['a', 'b', 'c', 'd', 'e', 'f']) t.names.set(p, p.toUpperCase());
    await t.read('v1', ['a', 'b']);
    await t.read('v2', ['c', 'd']);
    await t.read('v1', ['a']); // v1 now read more recently than v2
    t.take();
    await t.read('v3', ['e', 'f']);
    expect(t.profiles.size).toBe(4);
    expect(await t.read('v1', ['a', 'b'])).toEqual(['A', 'B']);
    expect(t.take()).toEqual(['v3>e', 'v3>f']);
    expect(await t.read('v2', ['c'])).toEqual(['C']);
    expect(t.take()).toEqual(['v2>c']);
  });

  it("fills a viewer's copy with their likely people on the first miss, in one lookup", async () => {
    const t = setup(100);
    for (const p of ['f1', 'f2', 'f3', 'f4']) t.names.set(p, p.toUpperCase());
    const friends = ['f1', 'f2', 'f3', 'f4', 'unknown'];
    expect(await t.read('v1', ['f1'], friends)).toEqual(['F1']);
    expect(t.take()).toEqual(['v1>f1', 'v1>f2', 'v1>f3', 'v1>f4', 'v1>unknown']);
    // Later pages name other friends: all kept, nothing asked.
    expect(await t.read('v1', ['f2', 'f3'], friends)).toEqual(['F2', 'F3']);
    expect(await t.read('v1', ['f4', 'unknown'], friends)).toEqual(['F4']);
    expect(t.take()).toEqual([]);
    // A friend's changed profile is asked for alone (the others are kept).
    t.names.set('f2', 'Fred');
    await touchCircles(t.kv, 'profile', ['f2']);
    expect(await t.read('v1', ['f2', 'f3'], friends)).toEqual(['Fred', 'F3']);
    expect(t.take()).toEqual(['v1>f2']);
    // A hit asks for nobody, likely people or not; and a prefetched friend's stamp moving
    // before they are named is seen when they are.
    t.names.set('f4', 'Flo');
    await touchCircles(t.kv, 'profile', ['f4']);
    expect(await t.read('v1', ['f4'], [...friends, 'f5'])).toEqual(['Flo']);
    expect(t.take()).toEqual(['v1>f4', 'v1>f5']);
  });

  it('keeps nothing with a bound of 0', async () => {
    const t = setup(0);
    t.names.set('p1', 'Ann');
    await t.read('v1', ['p1']);
    await t.read('v1', ['p1']);
    expect(t.take()).toEqual(['v1>p1', 'v1>p1']);
    expect(t.profiles.size).toBe(0);
  });
});
