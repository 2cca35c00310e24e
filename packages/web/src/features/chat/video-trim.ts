/** The video trim screen's arithmetic and its frame strip (VideoTrimmer.vue). */

/** The shortest part the server cuts (TrimVideo: at least 0.2 s). */
export const MIN_PART_MS = 200;
/** Slider steps. */
export const STEP_MS = 100;

export interface TrimRange {
  startMs: number;
  endMs: number;
}

/**
 * Keeps a range valid after one handle moved: inside the clip and at least MIN_PART_MS long,
 * the handle that moved pushing the other one when they meet.
 */
export function clampRange(r: TrimRange, durationMs: number, moved: 'start' | 'end'): TrimRange {
  const min = Math.min(MIN_PART_MS, durationMs);
  let startMs = Math.max(0, Math.min(r.startMs, durationMs - min));
  let endMs = Math.min(durationMs, Math.max(r.endMs, min));
  if (endMs - startMs < min) {
    if (moved === 'start') endMs = startMs + min;
    else startMs = endMs - min;
  }
  return { startMs, endMs };
}

/** What to ask the server for: nothing when the whole clip is kept. */
export function trimOf(r: TrimRange, durationMs: number): TrimRange | undefined {
  const whole = r.startMs <= STEP_MS / 2 && r.endMs >= durationMs - STEP_MS / 2;
  return whole ? undefined : { startMs: Math.round(r.startMs), endMs: Math.round(r.endMs) };
}

/**
 * `n` frames of a video (JPEG data URLs, `height` px high) spread over its length, for the
 * timeline; stops early (with what it has) when the signal aborts. Best effort: a frame the
 * browser cannot seek to ends the strip.
 */
export async function frames(
  url: string,
  durationMs: number,
  n: number,
  height: number,
  signal: AbortSignal,
): Promise<string[]> {
  const v = document.createElement('video');
  v.muted = true;
  v.preload = 'auto';
  v.src = url;
  const out: string[] = [];
  const wait = (ev: string) =>
    new Promise<void>((ok, fail) => {
      v.addEventListener(ev, () => ok(), { once: true });
      v.addEventListener('error', () => fail(new Error('video')), { once: true });
      setTimeout(() => fail(new Error('timeout')), 5000);
    });
  try {
    if (v.readyState < 1) await wait('loadedmetadata');
    const c = document.createElement('canvas');
    c.height = height;
    c.width = Math.max(1, Math.round((v.videoWidth / Math.max(1, v.videoHeight)) * height));
    for (let i = 0; i < n && !signal.aborted; i++) {
      v.currentTime = ((i + 0.5) * durationMs) / n / 1000;
      await wait('seeked');
      c.getContext('2d')!.drawImage(v, 0, 0, c.width, c.height);
      out.push(c.toDataURL('image/jpeg', 0.6));
    }
  } catch {
    // the strip shows what it got; the times below it still work
  } finally {
    v.removeAttribute('src');
    v.load();
  }
  return out;
}
