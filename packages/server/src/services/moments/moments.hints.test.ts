import { create, fromBinary } from '@bufbuild/protobuf';
import { gateway, moments as pb } from '@mychat/protocol';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { createMemoryBus } from '../../adapters/bus/memory.bus.js';
import { decodePushEnvelope, userChannel } from '../../contracts/push-envelope.js';
import { HintBatch, type HintTimer } from './moments.hints.js';
import { MomentPush } from './moments.peers.js';

const hint = (momentId: string, authorId = '7') => create(pb.MomentHintSchema, { momentId, authorId });

/** A timer the test fires by hand. */
function manualTimer() {
  const due: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  const timer: HintTimer = (fn, ms) => {
    const t = { fn, ms, cancelled: false };
    due.push(t);
    return () => void (t.cancelled = true);
  };
  const fire = () => {
    for (const t of due.splice(0)) if (!t.cancelled) t.fn();
  };
  return { timer, due, fire };
}

describe('moment hints held for a window', () => {
  it('sends every hint of a window, unchanged, only when the window ends, with one timer per window', async () => {
    const sent: [readonly string[], string][] = [];
    const t = manualTimer();
    const batch = new HintBatch(async (ids, h) => void sent.push([ids, h.momentId]), 250, t.timer);
    await batch.add(['1', '2'], hint('10'));
    await batch.add(['2', '3'], hint('11'));
    await batch.add([], hint('12')); // nobody to tell: nothing held
    expect(sent).toEqual([]);
    expect(batch.waiting).toBe(2);
    expect(t.due.map((d) => d.ms)).toEqual([250]);
    t.fire();
    await vi.waitFor(() => expect(sent).toHaveLength(2));
    expect(sent).toEqual([
      [['1', '2'], '10'],
      [['2', '3'], '11'],
    ]);
    // The next hint opens a new window.
    await batch.add(['4'], hint('13'));
    expect(t.due.map((d) => d.ms)).toEqual([250]);
    expect(batch.waiting).toBe(1);
  });

  it('sends at once with a window of 0, and sends what is held on flush (stop)', async () => {
    const sent: string[] = [];
    const now = new HintBatch(async (_ids, h) => void sent.push(h.momentId), 0, manualTimer().timer);
    await now.add(['1'], hint('20'));
    expect(sent).toEqual(['20']);
    const t = manualTimer();
    const held = new HintBatch(async (_ids, h) => void sent.push(h.momentId), 250, t.timer);
    await held.add(['1'], hint('21'));
    await held.flush();
    expect(sent).toEqual(['20', '21']);
    expect(held.waiting).toBe(0);
    t.fire(); // the window's timer was cancelled: nothing is sent twice
    expect(sent).toEqual(['20', '21']);
  });
});

describe('MomentPush hints', () => {
  it('reach each user channel together: every hint of the window in one turn (one corked socket write)', async () => {
    const logger = pino({ level: 'silent' });
    const bus = createMemoryBus({ logger });
    const got: { momentId: string; turn: number }[] = [];
    let turn = 0;
    await bus.subscribe(userChannel('5'), (bytes) => {
      const frame = fromBinary(gateway.ServerFrameSchema, decodePushEnvelope(bytes).frame);
      if (frame.body.case !== 'momentHint') return;
      got.push({ momentId: frame.body.value.momentId, turn });
      // A socket uncorks on the next tick: whatever arrives before it leaves in the same write.
      process.nextTick(() => void (turn += 1));
    });
    const push = new MomentPush(bus, logger, 20);
    await push.hint(['5', '6'], hint('30'));
    await push.hint(['5'], hint('31'));
    // Held: the window's timer cannot have run while this test has only awaited promises.
    expect(got).toEqual([]);
    await vi.waitFor(() => expect(got).toHaveLength(2));
    expect(got).toEqual([
      { momentId: '30', turn: 0 },
      { momentId: '31', turn: 0 },
    ]);
    await bus.close();
  });
});
