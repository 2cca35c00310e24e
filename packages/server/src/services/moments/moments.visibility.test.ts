import { moments } from '@mychat/protocol';
import { describe, expect, it } from 'vitest';
import { fillPage, type Seen } from './moments.feed.js';
import type { PostRow } from './moments.repository.js';
import {
  accessTo,
  DEFAULT_RULES,
  interactionVisible,
  windowStart,
  type Circle,
} from './moments.visibility.js';

const { Audience: A, AlbumWindow: W, StrangerAccess: S } = moments;
const DAY = 86_400_000;
const NOW = 1_800_000_000_000;

const post = (over: Partial<PostRow> = {}): PostRow => ({
  id: '100',
  authorId: 'a',
  clientId: null,
  text: 't',
  media: [],
  location: '',
  linkUrl: '',
  linkTitle: '',
  audience: A.FRIENDS,
  tags: [],
  mentions: [],
  createdAt: NOW - DAY,
  ...over,
});

const circle = (viewerId: string, over: Partial<Circle> = {}): Circle => ({
  viewerId,
  friends: new Map([['a', 0]]),
  blocked: new Set(),
  hiddenBy: new Set(),
  muted: new Set(),
  ...over,
});

/** The rules alone, without a database: every branch of who sees a post and its comments. */
describe('moments visibility rules', () => {
  it('decides access from the audience, blocks, hiding, the window and the stranger setting', () => {
    const v = circle('v');
    const only = new Set(['v']);
    expect(accessTo(post(), undefined, circle('a'), DEFAULT_RULES, NOW)).toBe('own');
    expect(accessTo(post(), undefined, v, DEFAULT_RULES, NOW)).toBe('friend');
    expect(accessTo(post({ audience: A.PRIVATE }), undefined, v, DEFAULT_RULES, NOW)).toBe('none');
    expect(accessTo(post({ audience: A.ONLY }), only, v, DEFAULT_RULES, NOW)).toBe('friend');
    expect(accessTo(post({ audience: A.ONLY }), new Set(['x']), v, DEFAULT_RULES, NOW)).toBe('none');
    expect(accessTo(post({ audience: A.EXCEPT }), only, v, DEFAULT_RULES, NOW)).toBe('none');
    expect(accessTo(post({ audience: A.EXCEPT }), new Set(['x']), v, DEFAULT_RULES, NOW)).toBe('friend');
    expect(accessTo(post(), undefined, circle('v', { hiddenBy: new Set(['a']) }), DEFAULT_RULES, NOW)).toBe(
      'none',
    );
    expect(accessTo(post(), undefined, circle('v', { blocked: new Set(['a']) }), DEFAULT_RULES, NOW)).toBe(
      'none',
    );
    const threeDays = { ...DEFAULT_RULES, albumWindow: W.THREE_DAYS };
    expect(accessTo(post({ createdAt: NOW - 4 * DAY }), undefined, v, threeDays, NOW)).toBe('none');
    expect(accessTo(post({ createdAt: NOW - 4 * DAY }), undefined, circle('a'), threeDays, NOW)).toBe('own');
    // Strangers: only the newest shared posts, and never when the author allows none.
    const s = circle('s', { friends: new Map() });
    expect(accessTo(post(), undefined, s, DEFAULT_RULES, NOW, new Set(['100']))).toBe('stranger');
    expect(accessTo(post(), undefined, s, DEFAULT_RULES, NOW, new Set(['99']))).toBe('none');
    expect(
      accessTo(post(), undefined, s, { ...DEFAULT_RULES, strangerAccess: S.NONE }, NOW, new Set(['100'])),
    ).toBe('none');
    expect(accessTo(post({ audience: A.EXCEPT }), new Set(), s, DEFAULT_RULES, NOW, new Set(['100']))).toBe(
      'none',
    );
  });

  it('gives each window its start', () => {
    expect(windowStart({ ...DEFAULT_RULES, albumWindow: W.ALL }, NOW)).toBe(0);
    expect(windowStart({ ...DEFAULT_RULES, albumWindow: W.SIX_MONTHS }, NOW)).toBe(NOW - 183 * DAY);
    expect(windowStart({ ...DEFAULT_RULES, albumWindow: W.ONE_MONTH }, NOW)).toBe(NOW - 30 * DAY);
    expect(windowStart({ ...DEFAULT_RULES, albumWindow: W.THREE_DAYS }, NOW)).toBe(NOW - 3 * DAY);
  });

  it("shows a like or comment by the viewer, the post's author or the viewer's friend; the author sees all", () => {
    const p = post();
    const b = circle('b', {
      friends: new Map([
        ['a', 0],
        ['d', 0],
      ]),
    });
    expect(interactionVisible('a', p, b)).toBe(true);
    expect(interactionVisible('b', p, b)).toBe(true);
    expect(interactionVisible('d', p, b)).toBe(true);
    expect(interactionVisible('c', p, b)).toBe(false);
    expect(interactionVisible('c', p, circle('a', { friends: new Map() }))).toBe(true);
  });
});

describe('fillPage', () => {
  const rows = Array.from({ length: 30 }, (_, i) => String(1000 - i)); // newest first
  const fetch = async (before: string, n: number) =>
    rows.filter((r) => !before || Number(r) < Number(before)).slice(0, n);
  const seenIf = (keep: (id: string) => boolean) => async (batch: string[]) =>
    batch.map((id) =>
      keep(id) ? ({ post: post({ id }), access: 'friend', list: undefined } as Seen) : undefined,
    );
  const ids = (r: { seen: Seen[] }) => r.seen.map((s) => s.post.id);

  it('pages through every visible row once, with a cursor until the end', async () => {
    const visible = (id: string) => Number(id) % 3 === 0;
    const out: string[] = [];
    let cursor = '';
    for (let i = 0; i < 20; i++) {
      const r = await fillPage(cursor, 4, fetch, (x) => x, seenIf(visible));
      out.push(...ids(r));
      cursor = r.nextCursor;
      if (!cursor) break;
    }
    expect(out).toEqual(rows.filter(visible));
    expect(cursor).toBe('');
  });

  it('answers no cursor when the last page ends exactly at the last row', async () => {
    const r = await fillPage(
      '',
      30,
      fetch,
      (x) => x,
      seenIf(() => true),
    );
    expect(ids(r)).toHaveLength(30);
    expect(r.nextCursor).toBe('');
  });

  it('reads the page and a few more rows when all are visible, more only when rows are hidden', async () => {
    const asked: number[] = [];
    const counting = async (before: string, n: number) => {
      asked.push(n);
      return fetch(before, n);
    };
    const all = await fillPage(
      '',
      20,
      counting,
      (x) => x,
      seenIf(() => true),
    );
    expect(ids(all)).toEqual(rows.slice(0, 20));
    expect(asked).toEqual([25]);
    asked.length = 0;
    const some = await fillPage(
      '',
      5,
      counting,
      (x) => x,
      seenIf((id) => Number(id) % 3 === 0),
    );
    expect(ids(some)).toEqual(rows.filter((id) => Number(id) % 3 === 0).slice(0, 5));
    expect(asked).toEqual([10, 9]);
  });

  it('stops after a few batches of hidden rows and hands back a cursor', async () => {
    const many = Array.from({ length: 2000 }, (_, i) => String(100_000 - i));
    const r = await fillPage(
      '',
      5,
      async (before, n) => many.filter((x) => !before || Number(x) < Number(before)).slice(0, n),
      (x) => x,
      seenIf(() => false),
    );
    expect(r.seen).toEqual([]);
    expect(r.nextCursor).not.toBe('');
  });
});
