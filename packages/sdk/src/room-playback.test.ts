import { describe, expect, it } from 'vitest';
import {
  decideDrift,
  DRIFT,
  expectedPosition,
  PlaybackController,
  type DriftInput,
} from './room-playback.js';
import { SimulatedPlayer } from './room-sim-player.js';

const base: DriftInput = {
  driftMs: 0,
  playing: true,
  rate: 1,
  buffering: false,
  bufferingForMs: 0,
  sinceSeekMs: Infinity,
};

describe('the drift decision table', () => {
  it.each<[string, Partial<DriftInput>, ReturnType<typeof decideDrift>]>([
    ['in sync', { driftMs: 0 }, { kind: 'none' }],
    ['39 ms ahead: nothing', { driftMs: 39 }, { kind: 'none' }],
    ['39 ms behind: nothing', { driftMs: -39 }, { kind: 'none' }],
    ['100 ms ahead: slow down 3 % at most', { driftMs: 100 }, { kind: 'rate', rate: 0.97 }],
    ['40 ms behind: speed up 2 %', { driftMs: -40 }, { kind: 'rate', rate: 1.02 }],
    ['1 s behind: speed up 3 % (capped)', { driftMs: -1000 }, { kind: 'rate', rate: 1.03 }],
    ['a nudge goes on at 30 ms', { driftMs: 30, rate: 0.97 }, { kind: 'rate', rate: 0.985 }],
    ['a nudge ends under 20 ms', { driftMs: 10, rate: 0.97 }, { kind: 'rate', rate: 1 }],
    [
      '30 ms behind right after a seek: fine-tuned',
      { driftMs: -30, sinceSeekMs: 500 },
      { kind: 'rate', rate: 1.015 },
    ],
    ['15 ms behind right after a seek: nothing', { driftMs: -15, sinceSeekMs: 500 }, { kind: 'none' }],
    ['1.6 s off: seek', { driftMs: 1600 }, { kind: 'seek' }],
    [
      '300 ms off right after a seek: once more',
      { driftMs: 300, sinceSeekMs: 500, canReseek: true },
      { kind: 'seek' },
    ],
    ['300 ms off after that: a nudge', { driftMs: 300, sinceSeekMs: 500 }, { kind: 'rate', rate: 0.97 }],
    [
      '1.6 s off right after a seek: only a nudge',
      { driftMs: -1600, sinceSeekMs: 500 },
      { kind: 'rate', rate: 1.03 },
    ],
    ['buffering 1 s: wait', { driftMs: -1000, buffering: true, bufferingForMs: 1000 }, { kind: 'wait' }],
    [
      'buffering 3 s: catch up by seeking',
      { driftMs: -3000, buffering: true, bufferingForMs: 3000 },
      { kind: 'seek' },
    ],
    ['paused 50 ms off: seek', { playing: false, driftMs: 50 }, { kind: 'seek' }],
    ['paused 10 ms off: nothing', { playing: false, driftMs: 10 }, { kind: 'none' }],
  ])('%s', (_name, input, action) => {
    expect(decideDrift({ ...base, ...input })).toEqual(action);
  });

  it('never nudges by more than the limit', () => {
    for (let d = -DRIFT.seekMs; d <= DRIFT.seekMs; d += 7) {
      const a = decideDrift({ ...base, driftMs: d });
      if (a.kind === 'rate') expect(Math.abs(a.rate - 1)).toBeLessThanOrEqual(DRIFT.maxNudge + 1e-9);
    }
  });
});

describe('the playback controller', () => {
  it('expected position: moves only while playing, and not before its start time', () => {
    const s = { entryId: 'e', playing: true, positionMs: 1000, atServerMs: 10_000, rate: 1, version: 2 };
    expect(expectedPosition(s, 9_000)).toBe(1000);
    expect(expectedPosition(s, 12_500)).toBe(3500);
    expect(expectedPosition({ ...s, playing: false }, 12_500)).toBe(1000);
  });

  it('excludes the seek latency: after learning it, a seek lands on the expected position', async () => {
    let t = 0;
    const now = () => t;
    const player = new SimulatedPlayer(now, 0);
    const c = new PlaybackController(player, { now, serverNow: now });
    c.apply({ entryId: 'e', playing: true, positionMs: 0, atServerMs: 0, rate: 1, version: 1 });
    // The player's seeks take 300 ms of stalled playback: teach it by hand (the real run
    // measures them the same way, from the seek call to its promise).
    c.seekLatencyMs = 300;
    player.seekLatencyMs = 300;
    // Past the grace after starting, knock it 5 s off.
    t = 3000;
    c.tick();
    const from = player.positionMs();
    await player.seek(() => from + 5000);
    t += 300;
    c.tick();
    expect(c.lastDriftMs).toBeGreaterThan(1500);
    // The seek aims 300 ms ahead, stalls 300 ms, then plays: in sync.
    t += 300;
    expect(
      Math.abs(
        player.positionMs() -
          expectedPosition(
            { entryId: 'e', playing: true, positionMs: 0, atServerMs: 0, rate: 1, version: 1 },
            t,
          ),
      ),
    ).toBeLessThan(5);
  });

  it('ignores an older version, and pauses where the state says', () => {
    let t = 1000;
    const now = () => t;
    const player = new SimulatedPlayer(now);
    const c = new PlaybackController(player, { now, serverNow: now });
    c.apply({ entryId: 'e', playing: true, positionMs: 0, atServerMs: 1000, rate: 1, version: 3 });
    t = 3000;
    c.tick();
    expect(player.positionMs()).toBe(2000);
    c.apply({ entryId: 'e', playing: false, positionMs: 2500, atServerMs: 3000, rate: 1, version: 4 });
    expect(player.isPlaying()).toBe(false);
    c.apply({ entryId: 'e', playing: true, positionMs: 0, atServerMs: 0, rate: 1, version: 2 });
    expect(player.isPlaying()).toBe(false);
    expect(player.positionMs()).toBe(2500);
  });

  it('reports what the player does: idle, listening, buffering (again on each new version), no repeats', () => {
    let t = 1000;
    const now = () => t;
    const player = new SimulatedPlayer(now);
    const said: string[] = [];
    const c = new PlaybackController(
      player,
      { now, serverNow: now },
      {
        onListening: (state, version) => said.push(`${state}@${version}`),
      },
    );
    const s = { entryId: 'e', playing: false, positionMs: 0, atServerMs: 1000, rate: 1, version: 1 };
    c.apply(s);
    c.tick();
    player.buffering = true;
    c.apply({ ...s, playing: true, atServerMs: 1300, version: 2 });
    c.tick();
    // The room held the start for this member: a new version, still buffering, said again.
    c.apply({ ...s, playing: true, atServerMs: 4000, version: 3 });
    c.tick();
    player.buffering = false;
    t = 1500;
    c.tick();
    c.tick();
    c.apply({ ...s, playing: false, positionMs: 800, atServerMs: 1800, version: 4 });
    expect(said).toEqual(['idle@1', 'buffering@2', 'buffering@3', 'listening@3', 'idle@4']);
  });
});
