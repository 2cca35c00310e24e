import { describe, expect, it } from 'vitest';
import { OffsetEstimator, sampleOf, ServerClock } from './room-clock.js';

/** One exchange with the client clock `skew` ms off the server's and the given one-way delays. */
function exchange(serverT0: number, skew: number, up: number, down: number, process = 1) {
  const t0 = serverT0 - skew; // the client's clock reads server time minus skew
  const t1 = serverT0 + up;
  const t2 = t1 + process;
  const t3 = t2 + down - skew;
  return sampleOf(t0, t1, t2, t3);
}

describe('the clock offset estimator', () => {
  it('finds the offset exactly when both directions take as long', () => {
    const s = exchange(1_000_000, 5000, 40, 40);
    expect(s.offsetMs).toBe(5000);
    expect(s.delayMs).toBe(80);
  });

  it('errs by half the asymmetry of one sample, and keeps the lowest-delay sample of the last 8', () => {
    const e = new OffsetEstimator(8);
    // Asymmetric, slow samples: up 300 ms, down 20 ms (error 140 ms each).
    for (let i = 0; i < 5; i++) e.add(exchange(1_000_000 + i * 1000, -5000, 300, 20));
    expect(e.offsetMs).toBeCloseTo(-5000 + 140, 6);
    // One quick sample, still a little asymmetric: up 12, down 8 (error 2 ms) wins.
    e.add(exchange(1_010_000, -5000, 12, 8));
    expect(e.offsetMs).toBeCloseTo(-4998, 6);
    expect(e.rttMs).toBe(20);
    // Later, slower ones do not replace it...
    for (let i = 0; i < 7; i++) e.add(exchange(1_020_000 + i * 1000, -5000, 150, 50));
    expect(e.offsetMs).toBeCloseTo(-4998, 6);
    // ...until it falls out of the window of 8.
    e.add(exchange(1_030_000, -5000, 150, 50));
    expect(e.count).toBe(8);
    expect(e.offsetMs).toBeCloseTo(-5000 + 50, 6);
  });

  it('is 0 before any sample', () => {
    expect(new OffsetEstimator().offsetMs).toBe(0);
  });

  it('a ServerClock over a simulated link with a +3 s skew and 50/150 ms delays lands within 50 ms', async () => {
    let server = 5_000_000;
    const skew = 3000;
    const delays = [
      [150, 50],
      [50, 150],
      [60, 60],
    ];
    let i = 0;
    let local = server - skew;
    const clock = new ServerClock(
      async () => {
        const [up, down] = delays[i++ % delays.length]!;
        const recv = (server += up);
        const send = (server += 1);
        server += down;
        local = server - skew;
        return { serverRecvMs: recv, serverSendMs: send };
      },
      { now: () => local, quickPings: 3, quickEveryMs: 0 },
    );
    await clock.start();
    clock.stop();
    expect(clock.estimator.count).toBe(3);
    expect(Math.abs(clock.serverNow() - server)).toBeLessThanOrEqual(1);
    expect(clock.toLocal(server)).toBe(local + (server - clock.serverNow()));
  });
});
