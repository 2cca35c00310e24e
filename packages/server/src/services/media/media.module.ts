import { media as pb, stickerFiles as spb } from '@mychat/protocol';
import type { Registry } from 'prom-client';
import { Histogram } from 'prom-client';
import type { BlobStore } from '../../adapters/blob/blob.js';
import type { Kv } from '../../adapters/kv/kv.js';
import type { SqlDatabase } from '../../adapters/sql/sql.js';
import type { Clock } from '../../kernel/clock.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Logger } from '../../kernel/logger.js';
import type { ModuleInstance } from '../../kernel/module-graph.js';
import { serves, type ServiceInstance } from '../../rpc/rpc-impl.js';
import { AvTool } from './media.av.js';
import type { MediaConfig, WorkerConfig } from './media.config.js';
import { DriveService } from './media.drive.js';
import { ImageTool } from './media.images.js';
import { JobQueue } from './media.jobs.js';
import { mediaMigrations } from './media.migrations.js';
import { MediaProcessor } from './media.processing.js';
import { MediaPurge } from './media.purge.js';
import { MediaRepository } from './media.repository.js';
import { mediaInternalRpc, mediaRpc, stickerFilesRpc } from './media.rpc.js';
import { MediaService } from './media.service.js';
import { MediaWorker } from './media.worker.js';
import { AvatarFiles } from './media.avatars.js';
import { FavoriteFiles } from './media.favorites.js';
import { StickerFiles } from './media.stickers.js';
import { MomentFiles } from './media.moments.js';
import { RoomTracks } from './media.rooms.js';
import { UploadReservations } from './media.reservations.js';

export interface MediaModuleDeps {
  sql: SqlDatabase;
  blob: BlobStore;
  kv: Kv;
  metrics: Registry;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
  config: MediaConfig;
}

function build(d: MediaModuleDeps, onProcessed?: (kind: number, seconds: number) => void) {
  const repo = new MediaRepository(d.sql);
  const queue = new JobQueue(d.sql, d.ids, d.clock);
  const processor = new MediaProcessor(
    new ImageTool({ maxPixels: d.config.maxImagePixels, thumbnailSize: d.config.thumbnailSize }),
    new AvTool({ timeoutMs: d.config.toolTimeoutSeconds * 1000 }),
    d.config,
  );
  const ref: { drive?: DriveService } = {};
  const service = new MediaService({
    repo,
    queue,
    blob: d.blob,
    kv: d.kv,
    processor,
    reservations: new UploadReservations({
      kv: d.kv,
      clock: d.clock,
      ttlMs: d.config.resumableExpiryHours * 3_600_000,
      maxOpen: d.config.maxOpenUploads,
    }),
    ids: d.ids,
    clock: d.clock,
    logger: d.logger,
    config: d.config,
    ...(onProcessed && { onProcessed }),
    addToDrive: async (ownerId, mediaId, folderId, name) => {
      const m = await repo.media(mediaId);
      if (m) await ref.drive!.addFile(ownerId, m, folderId, name);
    },
  });
  ref.drive = new DriveService({
    repo,
    ids: d.ids,
    clock: d.clock,
    freeIfUnused: (id) => service.freeIfUnused(id),
  });
  return { repo, queue, processor, service, drive: ref.drive };
}

/** Builds the media service and migrates its tables; returns both APIs for the wiring to serve. */
export async function initMedia(d: MediaModuleDeps): Promise<ServiceInstance<void>> {
  await d.sql.migrate('media', mediaMigrations);
  const kinds = ['', 'image', 'voice', 'video', 'file'];
  const processing = new Histogram({
    name: 'mychat_media_processing_seconds',
    help: 'Processing of an upload while it is finished (image thumbnails, voice transcodes, video posters)',
    labelNames: ['kind'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [d.metrics],
  });
  const { service, drive, repo, processor } = build(d, (kind, s) =>
    processing.observe({ kind: kinds[kind] ?? 'other' }, s),
  );
  return {
    value: undefined,
    rpc: [
      serves(pb.MediaService, mediaRpc(service, drive)),
      serves(
        pb.MediaInternalService,
        mediaInternalRpc(
          service,
          drive,
          new MomentFiles(service, repo),
          new AvatarFiles(service, repo, () => d.clock.now()),
          new FavoriteFiles(service, repo, () => d.clock.now()),
          new RoomTracks(service, repo, {
            blob: d.blob,
            processor,
            config: d.config,
            clock: d.clock,
            logger: d.logger,
          }),
          () => repo.storageUsage(),
          new MediaPurge(repo, d.blob),
        ),
      ),
      serves(spb.StickerFilesService, stickerFilesRpc(new StickerFiles(service, repo, () => d.clock.now()))),
    ],
  };
}

/** Builds the media worker (the `worker` module): it runs the media jobs from the SQL queue. */
export async function initMediaWorker(
  d: MediaModuleDeps & { worker: WorkerConfig },
): Promise<ModuleInstance<MediaWorker>> {
  await d.sql.migrate('media', mediaMigrations);
  const { repo, queue, processor, service } = build(d);
  const seconds = new Histogram({
    name: 'mychat_media_job_duration_seconds',
    help: 'Background media jobs by kind and outcome',
    labelNames: ['kind', 'ok'] as const,
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers: [d.metrics],
  });
  const worker = new MediaWorker({
    queue,
    repo,
    blob: d.blob,
    processor,
    clock: d.clock,
    logger: d.logger,
    media: d.config,
    config: d.worker,
    freeIfUnused: (id) => service.freeIfUnused(id),
    onJob: (kind, ok, s) => seconds.observe({ kind, ok: String(ok) }, s),
  });
  return { value: worker, start: async () => worker.start(), stop: () => worker.stop() };
}
