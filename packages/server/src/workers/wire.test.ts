import { describe, expect, it } from 'vitest';
import { FrameSplitter, type Reader, Writer } from './wire.js';

/** Every frame of `bytes`, split by a FrameSplitter fed `chunks` pieces at a time. */
function split(bytes: Buffer, cuts: number[]): { type: number; body: Reader }[] {
  const got: { type: number; body: Reader }[] = [];
  const s = new FrameSplitter((type, body) => got.push({ type, body }));
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    s.push(bytes.subarray(from, cut));
    from = cut;
  }
  return got;
}

describe('link wire format', () => {
  it('reads back every field as written, frame by frame', () => {
    const w = new Writer(8); // small, so the writer grows several times
    w.begin(7)
      .u8(255)
      .u32(0xffff_ffff)
      .f64(-1.5)
      .str('héllo, 世界')
      .bytes(Uint8Array.from([1, 2, 3]))
      .end();
    w.begin(9)
      .strings(['a', '', 'ccc'])
      .value('s')
      .value(42.25)
      .value(true)
      .value(false)
      .value(undefined)
      .end();
    w.begin(1).end();
    const frames = split(w.take(), []);
    expect(frames.map((f) => f.type)).toEqual([7, 9, 1]);
    const a = frames[0]!.body;
    expect([a.u8(), a.u32(), a.f64(), a.str(), [...a.bytes()]]).toEqual([
      255,
      0xffff_ffff,
      -1.5,
      'héllo, 世界',
      [1, 2, 3],
    ]);
    expect(a.remaining).toBe(0);
    const b = frames[1]!.body;
    expect([b.strings(), b.value(), b.value(), b.value(), b.value(), b.value()]).toEqual([
      ['a', '', 'ccc'],
      's',
      42.25,
      true,
      false,
      null,
    ]);
    expect(frames[2]!.body.remaining).toBe(0);
  });

  it('joins frames split across chunks at any byte, including inside the length', () => {
    const w = new Writer();
    const big = Buffer.alloc(100_000, 7);
    w.begin(2).str('x').end();
    w.begin(3).bytes(big).end();
    w.begin(4).u32(5).end();
    const bytes = w.take();
    for (const cuts of [[1], [2, 3], [5, 6, 7, 8], [13, 14, 20_000, 60_000, 100_009], [bytes.length - 1]]) {
      const frames = split(bytes, cuts);
      expect(frames.map((f) => f.type)).toEqual([2, 3, 4]);
      expect(frames[0]!.body.str()).toBe('x');
      expect(Buffer.compare(Buffer.from(frames[1]!.body.bytes()), big)).toBe(0);
      expect(frames[2]!.body.u32()).toBe(5);
    }
  });

  it('hands out what was written and starts afresh; a frame that failed halfway is dropped', () => {
    const w = new Writer();
    w.begin(1).u8(1).end();
    w.begin(2).u8(2);
    w.abandon();
    expect(split(w.take(), []).map((f) => f.type)).toEqual([1]);
    expect(w.length).toBe(0);
    expect(() => w.begin(1).begin(2)).toThrow(/already open/);
  });

  it('refuses a frame that claims to be empty or impossibly large, and a body read past its end', () => {
    const zero = Buffer.from([0, 0, 0, 0]);
    expect(() => split(zero, [])).toThrow(/bad frame length 0/);
    const huge = Buffer.from([0xff, 0xff, 0xff, 0x7f, 1]);
    expect(() => split(huge, [])).toThrow(/bad frame length/);
    const w = new Writer();
    w.begin(1).u8(1).end();
    const [f] = split(w.take(), []);
    expect(() => f!.body.u32()).toThrow(/ended early/);
    const bad = new Writer();
    bad.begin(1).u8(9).end();
    const [g] = split(bad.take(), []);
    expect(() => g!.body.value()).toThrow(/bad value tag 9/);
  });
});
