import { describe, expect, it } from 'vitest';
import { payloadText, Recorder, type Owed } from './recorder.js';

/**
 * The recorder's counting after a run: a delivery not pushed in time is late when its receiver
 * can read it (the message is stored), lost when not, and unchecked (still lost) when the
 * receiver could not be asked.
 */
describe('recorder', () => {
  const at = (conversationId: string, seq: number, receivers: string[]) => ({
    conversationId,
    seq,
    receivers: () => receivers,
  });

  it('tells late deliveries (stored, not pushed in time) from lost ones', async () => {
    const rec = new Recorder();
    const texts = [0, 1, 2, 3].map(() => payloadText(rec.send(1), 0));
    rec.ack(0, at('c1', 1, ['b']));
    rec.ack(1, at('c1', 2, ['b']));
    rec.ack(2, at('c2', 7, ['d']));
    rec.ack(3, at('c2', 8, ['d']));
    rec.receive('b', 'c1', 1, texts[0]!);
    expect(rec.lost).toBe(3);
    expect(rec.owed().map((o) => [o.index, o.device, o.conversationId, o.seq])).toEqual([
      [1, 'b', 'c1', 2],
      [2, 'd', 'c2', 7],
      [3, 'd', 'c2', 8],
    ]);
    const storedAt = new Set(['c1|b|2']);
    const asked: Owed[] = [];
    await rec.reconcile(async (o) => {
      asked.push(o);
      if (o.seq === 8) return undefined;
      return storedAt.has(`${o.conversationId}|${o.device}|${o.seq}`);
    });
    expect(asked).toHaveLength(3);
    expect({ late: rec.late, missing: rec.missing, unchecked: rec.unchecked, lost: rec.lost }).toEqual({
      late: 1,
      missing: 1,
      unchecked: 1,
      lost: 2,
    });
  });

  it('asks only for the receivers still owed, and counts a failed check as unchecked', async () => {
    const rec = new Recorder();
    const text = payloadText(rec.send(3), 0);
    rec.ack(0, at('g', 5, ['a', 'b', 'c']));
    rec.receive('a', 'g', 5, text);
    rec.receive('c', 'g', 5, text);
    expect(rec.owed().map((o) => o.device)).toEqual(['b']);
    await rec.reconcile(() => Promise.reject(new Error('socket closed')));
    expect({ late: rec.late, unchecked: rec.unchecked, lost: rec.lost }).toEqual({
      late: 0,
      unchecked: 1,
      lost: 1,
    });
  });

  it('keeps counting deliveries of messages acked without where they are as lost', async () => {
    const rec = new Recorder();
    rec.send(2);
    rec.send(1);
    rec.ack(0);
    rec.ack(1, at('c', 1, ['x']));
    await rec.reconcile(async () => true);
    expect({ late: rec.late, lost: rec.lost }).toEqual({ late: 1, lost: 2 });
  });

  it('asks nothing when everything was pushed', async () => {
    const rec = new Recorder();
    const text = payloadText(rec.send(1), 0);
    rec.ack(0, at('c', 1, ['x']));
    rec.receive('x', 'c', 1, text);
    expect(rec.complete).toBe(true);
    await rec.reconcile(() => {
      throw new Error('not asked');
    });
    expect(rec.lost).toBe(0);
  });
});
