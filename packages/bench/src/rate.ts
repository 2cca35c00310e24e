/** Pacing of a scenario's work. */

/** Sends `count` (or for `durationS`) messages at `rate`/s through `send`; returns when all are answered. */
export async function atRate(
  rate: number,
  durationS: number,
  count: number,
  send: (k: number) => Promise<void>,
): Promise<{ sent: number; seconds: number }> {
  const t0 = performance.now();
  const inflight = new Set<Promise<void>>();
  let k = 0;
  for (;;) {
    const elapsed = (performance.now() - t0) / 1000;
    if (elapsed >= durationS || k >= count) break;
    const due = Math.min(count, Math.floor(elapsed * rate) + 1);
    while (k < due) {
      const p = send(k++).finally(() => inflight.delete(p));
      inflight.add(p);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  const seconds = (performance.now() - t0) / 1000;
  await Promise.all(inflight);
  return { sent: k, seconds };
}
