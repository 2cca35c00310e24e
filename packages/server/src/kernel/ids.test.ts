import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { AppError, ErrorCode } from './errors.js';
import { createIdGenerator, ID_EPOCH_MS, ID_MAX, idTime, isId, parseId } from './ids.js';

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);

/** Asserts each id is a canonical decimal string strictly greater than the one before. */
function expectStrictlyIncreasing(ids: string[]) {
  for (const [i, id] of ids.entries()) {
    expect(id).toMatch(/^[1-9][0-9]*$/);
    if (i > 0) expect(BigInt(id) > BigInt(ids[i - 1]!), `id ${i} (${id}) > ${ids[i - 1]}`).toBe(true);
  }
}

const nodeOf = (id: string) => Number((BigInt(id) >> 12n) & 0x3ffn);
const seqOf = (id: string) => Number(BigInt(id) & 0xfffn);

describe('createIdGenerator', () => {
  it('gives strictly increasing ids within one millisecond', () => {
    const gen = createIdGenerator(1, () => T0);
    const ids = Array.from({ length: 100 }, () => gen.next());
    expectStrictlyIncreasing(ids);
    expect(ids.map(seqOf)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('gives strictly increasing ids across milliseconds, restarting the sequence', () => {
    let t = T0;
    const gen = createIdGenerator(1, () => t);
    const ids: string[] = [];
    for (let ms = 0; ms < 20; ms++) {
      t = T0 + ms * 3;
      for (let k = 0; k < 5; k++) ids.push(gen.next());
    }
    expectStrictlyIncreasing(ids);
    expect(seqOf(ids[5]!)).toBe(0);
    expect(idTime(ids[5]!)).toBe(T0 + 3);
  });

  it('keeps more than 4096 ids in one frozen millisecond unique and increasing', () => {
    const gen = createIdGenerator(5, () => T0);
    const ids = Array.from({ length: 4096 * 3 + 10 }, () => gen.next());
    expectStrictlyIncreasing(ids);
    expect(new Set(ids).size).toBe(ids.length);
    // Once the sequence is exhausted, the next millisecond is borrowed.
    expect(idTime(ids[4095]!)).toBe(T0);
    expect(idTime(ids[4096]!)).toBe(T0 + 1);
    expect(nodeOf(ids.at(-1)!)).toBe(5);
  });

  it('never goes backwards when the clock does', () => {
    let t = T0 + 1000;
    const gen = createIdGenerator(3, () => t);
    const ids = [gen.next(), gen.next()];
    t = T0; // one second back
    ids.push(gen.next(), gen.next());
    t = T0 + 500; // still behind
    ids.push(gen.next());
    t = T0 + 1000; // caught up to the same millisecond
    ids.push(gen.next());
    t = T0 + 1001;
    ids.push(gen.next());
    expectStrictlyIncreasing(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('stays increasing when a stepped-back clock meets an exhausted sequence', () => {
    let t = T0;
    const gen = createIdGenerator(0, () => t);
    const ids = Array.from({ length: 4097 }, () => gen.next()); // borrows T0 + 1
    t = T0 - 50;
    ids.push(...Array.from({ length: 5000 }, () => gen.next()));
    t = T0 + 1;
    ids.push(gen.next());
    expectStrictlyIncreasing(ids);
  });

  it('encodes the node id, so two nodes at the same instant never collide', () => {
    const a = createIdGenerator(0, () => T0);
    const b = createIdGenerator(1023, () => T0);
    const c = createIdGenerator(17, () => T0);
    const ia = a.next();
    const ib = b.next();
    const ic = c.next();
    expect([nodeOf(ia), nodeOf(ib), nodeOf(ic)]).toEqual([0, 1023, 17]);
    expect(new Set([ia, ib, ic]).size).toBe(3);
    expect([idTime(ia), idTime(ib), idTime(ic)]).toEqual([T0, T0, T0]);
  });

  it.each([-1, 1024, 1.5, Number.NaN, 2 ** 40])('rejects node id %s with a RangeError', (n) => {
    expect(() => createIdGenerator(n)).toThrow(RangeError);
    expect(() => createIdGenerator(n)).toThrow(/node id/);
  });

  it('uses the real clock by default', () => {
    const before = Date.now();
    const id = createIdGenerator(0).next();
    const after = Date.now();
    expect(idTime(id)).toBeGreaterThanOrEqual(before);
    expect(idTime(id)).toBeLessThanOrEqual(after + 1);
  });
});

describe('idTime', () => {
  it('reads back the creation time', () => {
    for (const t of [ID_EPOCH_MS, ID_EPOCH_MS + 1, T0, Date.UTC(2060, 0, 1)]) {
      expect(idTime(createIdGenerator(9, () => t).next())).toBe(t);
    }
  });

  it('is the epoch plus the top bits', () => {
    expect(idTime(((123n << 22n) | (4n << 12n) | 7n).toString())).toBe(ID_EPOCH_MS + 123);
  });
});

describe('parseId', () => {
  const refusal = (raw: unknown) => {
    try {
      parseId(raw, 'userId');
    } catch (e) {
      return e instanceof AppError ? { code: e.code, field: e.details.field } : e;
    }
    return 'accepted';
  };

  it('takes what the generator issues and the ends of the BIGINT range', () => {
    const gen = createIdGenerator(1023, () => Date.UTC(2080, 0, 1));
    for (const id of ['1', '9', '10', gen.next(), ID_MAX.toString()]) {
      expect(parseId(id, 'userId')).toBe(id);
      expect(isId(id)).toBe(true);
    }
  });

  it.each([
    ['empty', ''],
    ['zero', '0'],
    ['a leading zero', '07'],
    ['a sign', '+7'],
    ['a negative', '-7'],
    ['non-digits', '12a'],
    ['spaces', ' 12'],
    ['a trailing newline', '12\n'],
    ['a decimal point', '1.0'],
    ['an exponent', '1e5'],
    ['non-ASCII digits', '\u0661\u0662'],
    ['one over the BIGINT maximum', (ID_MAX + 1n).toString()],
    ['20 digits', '1'.repeat(20)],
    ['21 digits', '9'.repeat(21)],
    ['a megabyte of digits', '9'.repeat(1 << 20)],
    ['a number, not a string', 7],
    ['undefined', undefined],
  ])('refuses %s with INVALID_ARGUMENT naming the field', (_name, raw) => {
    expect(isId(raw)).toBe(false);
    expect(refusal(raw)).toEqual({ code: ErrorCode.INVALID_ARGUMENT, field: 'userId' });
  });
});

describe('one id parser', () => {
  it('no server or SDK source checks an id with its own regular expression', () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
    // The shapes the copies took: \d{1,20}, [0-9]{1,20}, a digit run anchored as a whole id.
    const idPattern = /\\d\{1,(19|20)\}|\[0-9\]\{1,(19|20)\}|\[1-9\]\[0-9\]\{0,18\}/;
    const own = path.join('packages', 'server', 'src', 'kernel', 'ids.ts');
    const found: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
        const rel = path.join(dir, e.name);
        if (e.isDirectory()) walk(rel);
        else if (/\.(ts|vue)$/.test(e.name) && !/\.test\.ts$/.test(e.name) && rel !== own) {
          readFileSync(path.join(root, rel), 'utf8')
            .split('\n')
            .forEach((line, i) => idPattern.test(line) && found.push(`${rel}:${i + 1}: ${line.trim()}`));
        }
      }
    };
    for (const pkg of ['server', 'sdk', 'web']) walk(path.join('packages', pkg, 'src'));
    expect(found).toEqual([]);
    expect(idPattern.test(readFileSync(path.join(root, own), 'utf8'))).toBe(true); // the pattern sees the parser
  });
});
