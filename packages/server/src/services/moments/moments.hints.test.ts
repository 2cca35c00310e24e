import { create, fromBinary } from '@bufbuild/protobuf';
import { gateway, moments as pb } from '@mychat/protocol';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { createMemoryBus } from '../../adapters/bus/memory.bus.js';
import { decodePushEnvelope, userChannel } from '../../contracts/push-envelope.js';
import { HINT_USERS_PER_TURN, HintBatch, type HintTimer, type NextTurn } from './moments.hints.js';
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

/** Turns the test lets pass by hand. */
function manualTurns() {
  const waiting: (() => void)[] = [];
  const nextTurn: NextTurn = () => new Promise((resolve) => waiting.push(resolve));
  const pass = () => waiting.splice(0).forEach((resolve) => resolve());
  return { nextTurn, waiting, pass };
}

/** Lets every promise callback queued so far run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('a window sent in slices of users, a turn each', () => {
  it('sends usersPerTurn users a turn, in the order first named, each user all of its hints in one turn', async () => {
    const sent: [readonly string[], string][] = [];
    const t = manualTimer();
    const turns = manualTurns();
    const batch = new HintBatch(
      async (ids, h) => void sent.push([ids, h.momentId]),
      250,
      t.timer,
      2,
      turns.nextTurn,
    );
    await batch.add(['1', '2', '3'], hint('40'));
    await batch.add(['3', '4', '5'], hint('41'));
    t.fire();
    await settle();
    // Slice 1: users 1 and 2 (only hint 40 names them); then it waits for the next turn.
    expect(sent).toEqual([[['1', '2'], '40']]);
    expect(turns.waiting).toHaveLength(1);
    turns.pass();
    await settle();
    // Slice 2: users 3 and 4; user 3's two hints leave in this same turn.
    expect(sent.slice(1)).toEqual([
      [['3'], '40'],
      [['3', '4'], '41'],
    ]);
    turns.pass();
    await settle();
    expect(sent.slice(3)).toEqual([[['5'], '41']]);
    expect(turns.waiting).toHaveLength(0);
  });

  it('sends a window only after the one before it, and a flush (stop) waits for both', async () => {
    const sent: string[] = [];
    const t = manualTimer();
    const turns = manualTurns();
    const batch = new HintBatch(
      async (ids, h) => void sent.push(`${h.momentId}:${ids.join(',')}`),
      250,
      t.timer,
      1,
      turns.nextTurn,
    );
    await batch.add(['1', '2'], hint('50'));
    t.fire();
    await settle();
    await batch.add(['3'], hint('51'));
    let done = false;
    void batch.flush().then(() => (done = true));
    await settle();
    expect(sent).toEqual(['50:1']);
    turns.pass();
    await settle();
    expect(sent).toEqual(['50:1', '50:2', '51:3']);
    expect(done).toBe(true);
  });

  it('a window whose send failed does not hold back the next', async () => {
    const sent: string[] = [];
    let fail = true;
    const batch = new HintBatch(
      async (_ids, h) => {
        if (fail) throw new Error('bus down');
        sent.push(h.momentId);
      },
      250,
      manualTimer().timer,
    );
    await batch.add(['1'], hint('60'));
    await expect(batch.flush()).rejects.toThrow('bus down');
    fail = false;
    await batch.add(['1'], hint('61'));
    await batch.flush();
    expect(sent).toEqual(['61']);
  });

  it('refuses a slice that is not a positive integer', () => {
    const send = async () => undefined;
    expect(() => new HintBatch(send, 250, manualTimer().timer, 0)).toThrow(/usersPerTurn/);
    expect(() => new HintBatch(send, 250, manualTimer().timer, 1.5)).toThrow(/usersPerTurn/);
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

describe('MomentPush hints to more users than a turn holds', () => {
  it("reach every user, all of a user's hints of the window in one turn, the window over several turns", async () => {
    const logger = pino({ level: 'silent' });
    const bus = createMemoryBus({ logger });
    const users = Array.from({ length: 2 * HINT_USERS_PER_TURN + 10 }, (_, i) => String(100 + i));
    // The event-loop turn each hint arrived in: a counter moved by an immediate every turn.
    let turn = 0;
    let counting = true;
    const count = () => {
      turn += 1;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const got = new Map<string, { momentId: string; turn: number }[]>();
    for (const u of users)
      await bus.subscribe(userChannel(u), (bytes) => {
        const frame = fromBinary(gateway.ServerFrameSchema, decodePushEnvelope(bytes).frame);
        if (frame.body.case === 'momentHint')
          got.set(u, [...(got.get(u) ?? []), { momentId: frame.body.value.momentId, turn }]);
      });
    const push = new MomentPush(bus, logger, 20);
    await push.hint(users, hint('70'));
    await push.hint(users.slice(0, 20), hint('71'));
    await vi.waitFor(() => expect(got.size).toBe(users.length));
    await push.flush();
    counting = false;
    for (const u of users.slice(0, 20)) expect(got.get(u)!.map((g) => g.momentId)).toEqual(['70', '71']);
    for (const u of users.slice(20)) expect(got.get(u)!.map((g) => g.momentId)).toEqual(['70']);
    // One turn per user; the first and the last slice in different turns.
    for (const g of got.values()) expect(new Set(g.map((x) => x.turn)).size).toBe(1);
    const turnOf = (u: string) => got.get(u)![0]!.turn;
    expect(turnOf(users[0]!)).toBe(turnOf(users[HINT_USERS_PER_TURN - 1]!));
    expect(turnOf(users[HINT_USERS_PER_TURN]!)).toBeGreaterThan(turnOf(users[0]!));
    expect(turnOf(users[users.length - 1]!)).toBeGreaterThan(turnOf(users[HINT_USERS_PER_TURN]!));
    await bus.close();
  });
});
