import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { BlobStore } from '../../adapters/blob/blob.js';
import type { Clock } from '../../kernel/clock.js';
import { AppError, errors } from '../../kernel/errors.js';
import type { MediaConfig, WorkerConfig } from './media.config.js';
import type { Job, JobQueue } from './media.jobs.js';
import type { MediaProcessor } from './media.processing.js';
import type { MediaRepository } from './media.repository.js';
import { sniff } from './media.sniff.js';
import { KIND_VIDEO, STATUS_FAILED, STATUS_READY } from './media.tables.js';

export interface MediaWorkerDeps {
  queue: JobQueue;
  repo: MediaRepository;
  blob: BlobStore;
  processor: MediaProcessor;
  clock: Clock;
  logger: Logger;
  media: MediaConfig;
  config: WorkerConfig;
  /** Frees files nothing uses (the orphan sweep). */
  freeIfUnused(mediaId: string): Promise<boolean>;
  onJob?(kind: string, ok: boolean, seconds: number): void;
}

const SWEEP_EVERY_MS = 10 * 60_000;

/**
 * The media service's background half: claims jobs from the SQL queue and runs them
 * (video transcodes and trims), and now and then frees uploads nothing uses. It runs in any
 * process whose target includes `worker`, as many as you like: the queue hands each job to
 * one of them, and a job whose worker died is taken again once its lease runs out.
 */
export class MediaWorker {
  private running = false;
  private readonly loops: Promise<void>[] = [];
  private wake: (() => void) | undefined;
  private lastSweep = 0;

  constructor(private readonly d: MediaWorkerDeps) {}

  start(): void {
    this.running = true;
    for (let i = 0; i < this.d.config.concurrency; i++) this.loops.push(this.loop());
  }

  /** Stops taking jobs and waits for the running ones (a killed one is retried after its lease). */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let worked = false;
      try {
        worked = await this.runOnce();
        if (this.d.clock.now() - this.lastSweep > SWEEP_EVERY_MS) await this.sweep();
      } catch (err) {
        this.d.logger.error({ err }, 'worker loop failed');
      }
      if (!worked && this.running) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.d.config.pollIntervalMs);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    }
  }

  /** Claims and runs one job; false when none was due. */
  async runOnce(): Promise<boolean> {
    const job = await this.d.queue.claim(this.d.config.leaseSeconds * 1000);
    if (!job) return false;
    const started = performance.now();
    const log = this.d.logger.child({ job_id: job.id, job: job.kind, media_id: job.mediaId });
    try {
      await this.run(job);
      await this.d.queue.complete(job.id);
      this.d.onJob?.(job.kind, true, (performance.now() - started) / 1000);
      log.info({ ms: Math.round(performance.now() - started) }, 'job done');
    } catch (err) {
      this.d.onJob?.(job.kind, false, (performance.now() - started) / 1000);
      // A refusal (not a video, too long) will not change on a retry.
      const final = err instanceof AppError || job.attempts >= this.d.config.maxAttempts;
      const message = (err as Error).message;
      log.warn({ err, attempts: job.attempts, final }, 'job failed');
      await this.d.queue.fail(
        job.id,
        message,
        final ? undefined : this.d.clock.now() + 5000 * 2 ** job.attempts,
      );
      if (final) {
        await this.d.repo.updateMedia(
          job.mediaId,
          { status: STATUS_FAILED, error: err instanceof AppError ? message : 'processing failed' },
          this.d.clock.now(),
        );
      }
    }
    return true;
  }

  private async run(job: Job): Promise<void> {
    const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'mychat-job-'));
    try {
      if (job.kind === 'transcode') await this.transcode(job, work);
      else if (job.kind === 'trim') await this.trim(job, work);
      else throw new Error(`unknown job kind ${String(job.kind)}`);
    } finally {
      await fsp.rm(work, { recursive: true, force: true });
    }
  }

  /** An upload browsers cannot play becomes an H.264/AAC MP4; the source is dropped. */
  private async transcode(job: Job, work: string): Promise<void> {
    const { repo, blob, processor } = this.d;
    const m = await repo.media(job.mediaId);
    if (!m) return; // deleted meanwhile
    const src = path.join(work, 'source');
    await blob.download(m.blobKey, src);
    const s = await sniff(src, KIND_VIDEO, false);
    const out = await processor.toMp4(src, s.demuxer!, work);
    const key = `m/${m.id}/video.mp4`;
    await blob.put(key, { file: out.file }, { contentType: 'video/mp4' });
    await blob.put(m.posterKey ?? `m/${m.id}/poster.webp`, out.poster, { contentType: 'image/webp' });
    await repo.updateMedia(
      m.id,
      {
        status: STATUS_READY,
        blobKey: key,
        posterKey: m.posterKey ?? `m/${m.id}/poster.webp`,
        mime: 'video/mp4',
        size: out.size,
        width: out.probe.video?.width ?? m.width,
        height: out.probe.video?.height ?? m.height,
        durationMs: out.probe.durationMs || m.durationMs,
      },
      this.d.clock.now(),
    );
    if (m.blobKey !== key) await blob.delete(m.blobKey);
  }

  /** A cut of another video into the (PROCESSING) file the job names. */
  private async trim(job: Job, work: string): Promise<void> {
    const { repo, blob, processor } = this.d;
    const m = await repo.media(job.mediaId);
    const source = await repo.media(String(job.payload.sourceId));
    if (!m) return;
    if (!source) throw errors.notFound('the source video was deleted');
    const src = path.join(work, 'source');
    await blob.download(source.blobKey, src);
    const s = await sniff(src, KIND_VIDEO, false);
    const out = await processor.toMp4(src, s.demuxer!, work, {
      startMs: Number(job.payload.startMs),
      endMs: Number(job.payload.endMs),
    });
    const posterKey = `m/${m.id}/poster.webp`;
    await blob.put(m.blobKey, { file: out.file }, { contentType: 'video/mp4' });
    await blob.put(posterKey, out.poster, { contentType: 'image/webp' });
    await repo.updateMedia(
      m.id,
      {
        status: STATUS_READY,
        mime: 'video/mp4',
        size: out.size,
        sha256: out.sha256,
        posterKey,
        placeholder: out.placeholder,
        width: out.probe.video?.width ?? 0,
        height: out.probe.video?.height ?? 0,
        durationMs: out.probe.durationMs,
      },
      this.d.clock.now(),
    );
  }

  /** Frees uploads older than `media.orphanHours` that no message and no drive entry uses. */
  async sweep(): Promise<number> {
    this.lastSweep = this.d.clock.now();
    const old = await this.d.repo.orphans(this.d.clock.now() - this.d.media.orphanHours * 3_600_000, 200);
    let freed = 0;
    for (const m of old) if (await this.d.freeIfUnused(m.id)) freed++;
    if (freed) this.d.logger.info({ freed }, 'freed unused uploads');
    return freed;
  }
}
