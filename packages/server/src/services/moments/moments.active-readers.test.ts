import { describe, expect, it } from 'vitest';
import { ActiveReaders } from './moments.active-readers.js';
import type { MomentsStore } from './moments.repository.js';

/**
 * The fan-out's readers (moments.active-readers.ts) against a table of last feed reads that
 * counts what it is asked: a reader met active is not asked again while their kept read is
 * within the window; idle readers and kept reads older than the window are asked every time.
 */
function setup(maxEntries = 100) {
  const activeAt = new Map<string, number>();
  const asked: string[][] = [];
  const store = {
    people: {
      activeAmong(ids: readonly string[], since: number) {
        asked.push([...ids]);
        return Promise.resolve(
          new Map(
            ids.flatMap((id) =>
              (activeAt.get(id) ?? -1) >= since ? [[id, activeAt.get(id)!] as const] : [],
            ),
          ),
        );
      },
    },
  } as unknown as MomentsStore;
  return { activeAt, asked, readers: new ActiveReaders(store, maxEntries) };
}

const sorted = (s: Set<string>) => [...s].sort();

describe('moments fan-out readers', () => {
  it('asks only for readers not known to be active', async () => {
    const t = setup();
    t.activeAt.set('a', 100).set('b', 200).set('idle', 10);
    expect(sorted(await t.readers.among(['a', 'b', 'idle', 'never'], 50))).toEqual(['a', 'b']);
    expect(sorted(await t.readers.among(['a', 'b', 'idle', 'never'], 50))).toEqual(['a', 'b']);
    expect(t.asked).toEqual([
      ['a', 'b', 'idle', 'never'],
      ['idle', 'never'],
    ]);

    // Idle Ida reads her feed: asked again, she is active and kept from then on.
    t.activeAt.set('idle', 300);
    t.asked.length = 0;
    expect(sorted(await t.readers.among(['a', 'idle'], 50))).toEqual(['a', 'idle']);
    expect(sorted(await t.readers.among(['a', 'idle'], 50))).toEqual(['a', 'idle']);
    expect(t.asked).toEqual([['idle']]);
  });

  it('asks again for a reader whose kept read is older than the window', async () => {
    const t = setup();
    t.activeAt.set('a', 100).set('b', 200);
    await t.readers.among(['a', 'b'], 50);
    t.asked.length = 0;
    // The window moves past a's kept read; a has not read since: not active any more.
    expect(sorted(await t.readers.among(['a', 'b'], 150))).toEqual(['b']);
    // a read meanwhile: asked, active, kept at the new time.
    t.activeAt.set('a', 400);
    expect(sorted(await t.readers.among(['a', 'b'], 150))).toEqual(['a', 'b']);
    expect(t.asked).toEqual([['a'], ['a']]);
  });

  it('keeps at most its bound, the first kept going first; 0 keeps none', async () => {
    const t = setup(2);
    for (const id of ['a', 'b', 'c']) t.activeAt.set(id, 100);
    await t.readers.among(['a', 'b', 'c'], 50);
    expect(t.readers.size).toBe(2);
    t.asked.length = 0;
    await t.readers.among(['a', 'b', 'c'], 50);
    expect(t.asked).toEqual([['a']]);

    const none = setup(0);
    none.activeAt.set('a', 100);
    await none.readers.among(['a'], 50);
    await none.readers.among(['a'], 50);
    expect(none.asked).toEqual([['a'], ['a']]);
    expect(none.readers.size).toBe(0);
  });
});
