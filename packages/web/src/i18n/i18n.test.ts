import { describe, expect, it } from 'vitest';
import { en as enBase } from './en.js';
import { momentsEn, momentsZhCN } from './moments.js';
import { momentsShellEn, momentsShellZhCN } from './moments-shell.js';
import { msgopsEn, msgopsZhCN } from './msgops.js';
import { recordsEn, recordsZhCN } from './records.js';
import { recordsShellEn, recordsShellZhCN } from './records-shell.js';
import { roomsBaseEn, roomsBaseZhCN, withRoomsBase } from './rooms-base.js';
import { squareEn, squareZhCN } from './square.js';
import { zhCN as zhBase } from './zh-CN.js';
import { callsBaseEn, callsBaseZhCN } from './calls-errors.js';
import { socialBaseEn, socialBaseZhCN } from './social-base.js';
import { accountErrorsEn, accountErrorsZhCN } from './account-errors.js';
import { adminEn, adminZhCN } from './admin.js';
import { stickersBaseEn, stickersBaseZhCN } from './stickers-base.js';
import { stickersEn, stickersZhCN } from './stickers.js';
import { e2eeEn, e2eeZhCN } from './e2ee.js';
import { e2eeShellEn, e2eeShellZhCN } from './e2ee-shell.js';

/**
 * What the app has once a moments page and the records parts loaded: the base, the shells' and
 * the pages' strings (index.ts).
 */
const full = <B extends { errors: object }>(
  base: B,
  shell: typeof momentsShellEn,
  pages: typeof momentsEn,
  records: [typeof recordsShellEn, typeof recordsEn],
  square: typeof squareEn,
) => ({
  ...base,
  moments: { ...shell.moments, ...pages.moments },
  records: { ...records[0], ...records[1].records },
  square: square.square,
  errors: { ...base.errors, ...pages.errors, ...records[1].errors, ...square.errors },
});
const withCalls = <B extends { chat: object; errors: object }>(b: B, c: typeof callsBaseEn) => ({
  ...b,
  chat: { ...b.chat, ...c.chat },
  errors: { ...b.errors, ...c.errors },
});
/** The social base strings on top (chat.system is merged a level deeper, as vue-i18n does). */
const withSocial = <B extends { chat: { system: object }; errors: object }>(
  b: B,
  c: typeof socialBaseEn,
) => ({
  ...b,
  chat: { ...b.chat, ...c.chat, system: { ...b.chat.system, ...c.chat.system } },
  errors: { ...b.errors, ...c.errors },
});
// With the console's strings (loaded with /admin) and the account errors merged at start.
const withConsole = <B extends { errors: object }>(
  b: B,
  acc: typeof accountErrorsEn,
  adm: typeof adminEn,
) => ({
  ...b,
  admin: adm.admin,
  connection: { ...(b as { connection?: object }).connection, ...acc.connection },
  errors: { ...b.errors, ...acc.errors, ...adm.errors },
});
// With the strings the chat merges in for reactions, edits and pins (features/msgops), the
// records parts (merge-forward, delete for me, drafts), the rooms', calls' and social base
// strings, the square's, and the console's.
const en = withConsole(
  {
    ...full(
      withSocial(withCalls(withRoomsBase(enBase, roomsBaseEn), callsBaseEn), socialBaseEn),
      momentsShellEn,
      momentsEn,
      [recordsShellEn, recordsEn],
      squareEn,
    ),
    msgops: msgopsEn.msgops,
  },
  accountErrorsEn,
  adminEn,
);
const zhCN = withConsole(
  {
    ...full(
      withSocial(withCalls(withRoomsBase(zhBase, roomsBaseZhCN), callsBaseZhCN), socialBaseZhCN),
      momentsShellZhCN,
      momentsZhCN,
      [recordsShellZhCN, recordsZhCN],
      squareZhCN,
    ),
    msgops: msgopsZhCN.msgops,
  },
  accountErrorsZhCN,
  adminZhCN,
);
Object.assign(en.errors, msgopsEn.errors);
Object.assign(zhCN.errors, msgopsZhCN.errors);
// Stickers and link previews: the few strings merged at start, and those loaded with their parts.
Object.assign(en, { stickers: { ...stickersBaseEn.stickers, ...stickersEn.stickers } });
Object.assign(zhCN, { stickers: { ...stickersBaseZhCN.stickers, ...stickersZhCN.stickers } });
Object.assign(en.errors, stickersEn.errors);
Object.assign(zhCN.errors, stickersZhCN.errors);
// Encrypted chats: the shell's strings at start, the page's when it opens (deep merge).
Object.assign(en, { e2ee: { ...e2eeShellEn.e2ee, ...e2eeEn.e2ee } });
Object.assign(zhCN, { e2ee: { ...e2eeShellZhCN.e2ee, ...e2eeZhCN.e2ee } });
Object.assign(en.errors, e2eeEn.errors);
Object.assign(zhCN.errors, e2eeZhCN.errors);

function keys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    v && typeof v === 'object' ? keys(v as object, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}
const at = (o: object, path: string) =>
  path.split('.').reduce<unknown>((x, k) => (x as Record<string, unknown>)[k], o) as string;

describe('web i18n', () => {
  it('zh-CN and en have exactly the same keys', () => {
    expect(keys(zhCN).sort()).toEqual(keys(en).sort());
  });

  it('every message has text and the same placeholders in both languages', () => {
    for (const k of keys(en)) {
      const a = at(en, k);
      const b = at(zhCN, k);
      expect(a.trim(), k).not.toBe('');
      expect(b.trim(), k).not.toBe('');
      const ph = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(ph(b), k).toEqual(ph(a));
    }
  });

  it('escapes @ before a letter, . or : (vue-i18n reads it as a linked message and fails to compile)', () => {
    for (const k of keys(en))
      for (const m of [at(en, k), at(zhCN, k)])
        expect(m.replaceAll("{'@'}", ''), k).not.toMatch(/@[A-Za-z.:]/);
  });

  it('has a message for every error reason of the protocol', async () => {
    const { common } = await import('@mychat/protocol');
    const reasons = Object.keys(common.ErrorCode)
      .filter((k) => Number.isNaN(Number(k)) && k !== 'UNSPECIFIED')
      .filter((k) => !['UNKNOWN_FRAME', 'MALFORMED_FRAME'].includes(k));
    for (const r of reasons) expect(Object.keys(en.errors), r).toContain(r);
  });

  it('moments strings are their own: merged in, not overriding any key of the base files', () => {
    expect(Object.keys(enBase)).not.toContain('moments');
    for (const r of Object.keys(momentsEn.errors)) expect(Object.keys(enBase.errors)).not.toContain(r);
    for (const k of Object.keys(momentsShellEn.moments))
      expect(Object.keys(momentsEn.moments)).not.toContain(k);
    expect(en.moments.discover).toBe('Discover');
    expect(zhCN.moments.discover).toBe('发现');
    expect(en.errors.MOMENT_EMPTY).toBe(momentsEn.errors.MOMENT_EMPTY);
    expect(en.errors.NOT_FOUND).toBe(enBase.errors.NOT_FOUND);
  });

  it('NOT_FRIENDS reads right for a 1:1 send and for adding a non-friend to a group', () => {
    // The server answers NOT_FRIENDS to both; "not friends any more" was wrong for a person
    // who never was a friend and said nothing about the group.
    expect(en.errors.NOT_FRIENDS).toMatch(/group/i);
    expect(en.errors.NOT_FRIENDS).toMatch(/message/i);
    expect(en.errors.NOT_FRIENDS).not.toMatch(/any more|anymore/i);
    expect(zhCN.errors.NOT_FRIENDS).toMatch(/群/);
    expect(zhCN.errors.NOT_FRIENDS).toMatch(/消息/);
    expect(zhCN.errors.NOT_FRIENDS).not.toMatch(/已不是/);
  });
});

describe('search texts (i18n/search.ts)', () => {
  it('has the same keys and placeholders in both languages', async () => {
    const { searchEn, searchZhCN } = await import('./search.js');
    expect(Object.keys(searchZhCN).sort()).toEqual(Object.keys(searchEn).sort());
    const ph = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [k, v] of Object.entries(searchEn)) {
      expect(searchZhCN[k as keyof typeof searchEn].trim(), k).not.toBe('');
      expect(ph(searchZhCN[k as keyof typeof searchEn]), k).toEqual(ph(v));
    }
  });
});
