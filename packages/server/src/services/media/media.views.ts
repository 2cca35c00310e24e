import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { media as pb } from '@mychat/protocol';
import type { DriveRow, MediaRow } from './media.tables.js';

/** A stored file as the wire Media. */
export function mediaView(m: MediaRow): pb.Media {
  return create(pb.MediaSchema, {
    id: m.id,
    kind: m.kind,
    status: m.status,
    ownerId: m.ownerId,
    mime: m.mime,
    size: String(m.size),
    sha256: m.sha256,
    name: m.name,
    width: m.width,
    height: m.height,
    durationMs: m.durationMs,
    waveform: m.waveform,
    placeholder: m.placeholder,
    hasThumbnail: m.thumbKey !== null,
    hasPoster: m.posterKey !== null,
    error: m.error,
    createdAt: timestampFromMs(m.createdAt),
  });
}

/** A drive entry as the wire DriveEntry. */
export function driveView(e: DriveRow, media?: MediaRow): pb.DriveEntry {
  return create(pb.DriveEntrySchema, {
    id: e.id,
    parentId: e.parentId === '0' ? '' : e.parentId,
    name: e.name,
    isFolder: e.isFolder,
    ...(media && { media: mediaView(media) }),
    createdAt: timestampFromMs(e.createdAt),
    updatedAt: timestampFromMs(e.updatedAt),
  });
}
