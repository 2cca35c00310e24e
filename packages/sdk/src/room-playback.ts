import type { ServerClock } from './room-clock.js';

/** A room's playback state: "at server time atServerMs the track is at positionMs". */
export interface PlaybackState {
  entryId: string;
  playing: boolean;
  positionMs: number;
  atServerMs: number;
  rate: number;
  version: number;
}

/** Where the state says playback is at server time `t` (before at: where it will start). */
export function expectedPosition(s: PlaybackState, t: number): number {
  if (!s.playing || t <= s.atServerMs) return s.positionMs;
  return s.positionMs + (t - s.atServerMs) * s.rate;
}

/** The thresholds of the drift decisions (ms unless named otherwise). */
export const DRIFT = {
  /** Under this, nothing is done. */
  ignoreMs: 40,
  /** A rate nudge goes on until the drift is under this. */
  settleMs: 20,
  /** Over this, seek instead of nudging. */
  seekMs: 1500,
  /** The largest rate change (3 %: pitch preserved, not audible as a pitch change). */
  maxNudge: 0.03,
  /** The nudge fixes the drift over about this long. */
  nudgeOverMs: 2000,
  /** After a seek, only nudges for this long (the seek's own effects settle). */
  graceMs: 2000,
  /** Within the grace, one more seek when still this far off (a nudge would take too long). */
  reseekMs: 250,
  /** A buffering member is waited for this long, then catches up by seeking. */
  bufferWaitMs: 3000,
} as const;

export interface DriftInput {
  /** Local position minus expected position, ms (positive: ahead). */
  driftMs: number;
  playing: boolean;
  /** The player's rate now. */
  rate: number;
  buffering: boolean;
  /** How long it has been buffering, ms. */
  bufferingForMs: number;
  /** Since the last seek this controller made, ms (Infinity for never). */
  sinceSeekMs: number;
  /** Whether the one corrective seek of the grace is still unused (default false). */
  canReseek?: boolean;
}

export type DriftAction =
  { kind: 'none' } | { kind: 'wait' } | { kind: 'rate'; rate: number } | { kind: 'seek' };

/**
 * The drift decision table: under ~40 ms nothing (a nudge in progress, or the 2 s after a seek,
 * goes on down to ~20 ms);
 * up to 1.5 s a playback-rate nudge of at most 3 %; beyond, a seek (but within 2 s of the last
 * seek only nudges, so the seek's own latency is never taken for drift and looped on); a
 * buffering member waits up to 3 s, then seeks to catch up. Paused: seek when off by 40 ms.
 */
export function decideDrift(i: DriftInput): DriftAction {
  const abs = Math.abs(i.driftMs);
  if (i.buffering) return i.bufferingForMs < DRIFT.bufferWaitMs ? { kind: 'wait' } : { kind: 'seek' };
  if (!i.playing) return abs >= DRIFT.ignoreMs ? { kind: 'seek' } : { kind: 'none' };
  // Right after a seek, fine-tune down to the settle mark (a seek lands within tens of ms).
  const nudging = i.rate !== 1 || i.sinceSeekMs < DRIFT.graceMs;
  if (abs < DRIFT.settleMs || (abs < DRIFT.ignoreMs && !nudging))
    return i.rate !== 1 ? { kind: 'rate', rate: 1 } : { kind: 'none' };
  if (abs > DRIFT.seekMs && i.sinceSeekMs >= DRIFT.graceMs) return { kind: 'seek' };
  // The seek landed far off (its latency was not known yet): once more, with it learned.
  if (abs > DRIFT.reseekMs && i.sinceSeekMs < DRIFT.graceMs && i.canReseek) return { kind: 'seek' };
  const nudge = Math.min(DRIFT.maxNudge, abs / DRIFT.nudgeOverMs);
  const rate = Math.round((1 - Math.sign(i.driftMs) * nudge) * 10_000) / 10_000;
  return rate === i.rate ? { kind: 'none' } : { kind: 'rate', rate };
}

/**
 * What the controller drives: a web <audio>, or a simulated player. Positions in ms.
 * `seek` asks `target()` for the place when it can actually seek (a player still loading its
 * file asks later) and resolves once playback goes on from there (its latency is measured
 * from that moment, so loading is never taken for seek latency).
 */
export interface Player {
  positionMs(): number;
  seek(target: () => number): Promise<void>;
  setRate(rate: number): void;
  rate(): number;
  play(): void;
  pause(): void;
  isPlaying(): boolean;
  isBuffering(): boolean;
}

export interface ControllerOptions {
  /** How often drift is checked (default 250 ms). */
  tickMs?: number;
  /**
   * What the player does changed (or it buffers on a new state version): report it with
   * `client.rooms.setListening`, so the member list shows it and the room waits (at most 3 s)
   * for a member still loading when a play starts.
   */
  onListening?: (state: 'idle' | 'listening' | 'buffering', version: number) => void;
}

/**
 * Keeps one player on a room's state: starts and stops it at the state's server time,
 * corrects drift by the table above, and learns how long its seeks take so a seek aims where
 * playback will be when it lands (the seek's own latency excluded from the drift).
 */
export class PlaybackController {
  private state: PlaybackState | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private startTimer: ReturnType<typeof setTimeout> | undefined;
  private lastSeekAt = -Infinity;
  /** When playback last started; the 2 s after it fine-tune as after a seek. */
  private lastStartAt = -Infinity;
  private seeking = false;
  /** The grace's one corrective seek was used. */
  private reseeked = false;
  /** A tick came while a seek was in flight: run it once the seek lands. */
  private tickAfterSeek = false;
  private bufferingSince: number | undefined;
  /** The learned seek latency, ms (moving average). */
  seekLatencyMs = 0;
  /** The last drift measured, ms (positive: ahead). */
  lastDriftMs = 0;
  /** What was last reported through onListening, and on which version. */
  private reported = { state: '', version: 0 };

  constructor(
    readonly player: Player,
    readonly clock: Pick<ServerClock, 'serverNow' | 'now'>,
    private readonly o: ControllerOptions = {},
  ) {}

  /** The player's position minus where the room is now by the server clock, ms (0 with no state). */
  driftNow(): number {
    return this.state ? this.player.positionMs() - expectedPosition(this.state, this.clock.serverNow()) : 0;
  }

  /** A new state (from a frame or an answer); older versions are ignored. */
  apply(s: PlaybackState): void {
    if (this.state && s.version < this.state.version) return;
    const changed = !this.state || s.version !== this.state.version;
    this.state = s;
    if (!changed) return;
    clearTimeout(this.startTimer);
    const wait = s.atServerMs - this.clock.serverNow();
    if (s.playing && wait > 0) {
      // Scheduled ahead: be at the start position, start exactly at its server time.
      this.player.pause();
      void this.seekTo(() => s.positionMs, true, false);
      this.startTimer = setTimeout(() => this.tick(), wait);
    } else this.tick();
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.o.tickMs ?? 250);
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.startTimer);
    this.timer = undefined;
    this.player.pause();
  }

  /** One correction step (also run by the interval). */
  tick(): void {
    const s = this.state;
    if (!s) return;
    this.report(s);
    if (this.seeking) {
      this.tickAfterSeek = true;
      return;
    }
    const now = this.clock.serverNow();
    const playing = s.playing && now >= s.atServerMs;
    const starting = playing && !this.player.isPlaying();
    if (starting) {
      this.player.play();
      this.lastStartAt = this.clock.now();
    }
    if (!playing && this.player.isPlaying()) this.player.pause();
    const buffering = playing && this.player.isBuffering();
    if (buffering) this.bufferingSince ??= this.clock.now();
    else this.bufferingSince = undefined;
    const drift = this.player.positionMs() - expectedPosition(s, now);
    this.lastDriftMs = drift;
    let action = decideDrift({
      driftMs: drift,
      playing,
      rate: this.player.rate(),
      buffering,
      bufferingForMs: buffering ? this.clock.now() - this.bufferingSince! : 0,
      sinceSeekMs: this.clock.now() - Math.max(this.lastSeekAt, this.lastStartAt),
      canReseek: !this.reseeked,
    });
    // Starting off the mark (a late timer, a state that came late): seek now, grace or not.
    if (starting && Math.abs(drift) >= DRIFT.ignoreMs && !buffering) action = { kind: 'seek' };
    if (action.kind === 'rate') this.player.setRate(action.rate);
    else if (action.kind === 'seek') {
      this.reseeked = this.clock.now() - Math.max(this.lastSeekAt, this.lastStartAt) < DRIFT.graceMs;
      this.player.setRate(1);
      // Aim where playback will be once the seek lands.
      void this.seekTo(
        () => expectedPosition(s, this.clock.serverNow() + (playing ? this.seekLatencyMs : 0)),
        playing,
      );
    }
  }

  /** Listening state changes, and buffering again on a new version (the room may wait for it). */
  private report(s: PlaybackState): void {
    if (!this.o.onListening) return;
    const state = !s.playing ? 'idle' : this.player.isBuffering() ? 'buffering' : 'listening';
    const r = this.reported;
    if (state === r.state && (state !== 'buffering' || s.version === r.version)) return;
    this.reported = { state, version: s.version };
    this.o.onListening(state, s.version);
  }

  private async seekTo(target: () => number, learn: boolean, grace = true): Promise<void> {
    this.seeking = true;
    let t = this.clock.now();
    try {
      await this.player.seek(() => {
        t = this.clock.now();
        return Math.max(0, target());
      });
      if (learn) {
        const took = this.clock.now() - t;
        this.seekLatencyMs = this.seekLatencyMs ? 0.7 * this.seekLatencyMs + 0.3 * took : took;
      }
    } finally {
      this.seeking = false;
      if (grace) this.lastSeekAt = this.clock.now();
    }
    if (this.tickAfterSeek) {
      this.tickAfterSeek = false;
      this.tick();
    }
  }
}
