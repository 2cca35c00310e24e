import type { Player } from './room-playback.js';

/**
 * A player with no audio: its position moves on the given clock at its rate while playing;
 * a seek stalls it for `seekLatencyMs` (decoding, fetching) before it goes on from the new
 * place. For tests, benchmarks and bots that follow a room without playing sound.
 */
export class SimulatedPlayer implements Player {
  private pos = 0;
  private since: number;
  private r = 1;
  private playingNow = false;
  private stalledUntil = 0;
  /** Set by a test: the player reports buffering and does not move. */
  buffering = false;

  constructor(
    private readonly now: () => number = () => Date.now(),
    public seekLatencyMs = 0,
  ) {
    this.since = now();
  }

  private advance(): void {
    const t = this.now();
    const from = Math.max(this.since, this.stalledUntil);
    if (this.playingNow && !this.buffering && t > from) this.pos += (t - from) * this.r;
    this.since = Math.max(t, this.since);
  }

  positionMs(): number {
    this.advance();
    return this.pos;
  }

  seek(target: () => number): Promise<void> {
    this.advance();
    this.pos = target();
    this.stalledUntil = this.now() + this.seekLatencyMs;
    return this.seekLatencyMs > 0 ? new Promise((r) => setTimeout(r, this.seekLatencyMs)) : Promise.resolve();
  }

  setRate(rate: number): void {
    this.advance();
    this.r = rate;
  }

  rate(): number {
    return this.r;
  }

  play(): void {
    this.advance();
    this.playingNow = true;
  }

  pause(): void {
    this.advance();
    this.playingNow = false;
  }

  isPlaying(): boolean {
    return this.playingNow;
  }

  isBuffering(): boolean {
    return this.buffering;
  }
}
