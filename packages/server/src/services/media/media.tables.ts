import { media } from '@mychat/protocol';

/** Row shapes of the media service's tables (see media.migrations.ts). */
export interface MediaTables {
  media_files: {
    id: string;
    owner_id: string;
    kind: number;
    status: number;
    mime: string;
    size: number;
    sha256: string;
    name: string;
    blob_key: string;
    thumb_key: string | null;
    poster_key: string | null;
    width: number;
    height: number;
    duration_ms: number;
    waveform: string;
    placeholder: string;
    error: string;
    created_at: number;
    updated_at: number;
    deleted_at: number | null;
  };
  media_uploads: { upload_id: string; media_id: string; created_at: number };
  media_grants: {
    media_id: string;
    conv_id: string;
    sender_id: string;
    client_msg_id: string;
    created_at: number;
  };
  media_drive: {
    id: string;
    owner_id: string;
    parent_id: string;
    is_folder: number;
    name: string;
    media_id: string | null;
    created_at: number;
    updated_at: number;
  };
  media_jobs: {
    id: string;
    kind: string;
    media_id: string;
    payload: string;
    state: number;
    attempts: number;
    run_after: number;
    locked_until: number;
    last_error: string;
    created_at: number;
    updated_at: number;
  };
}

/** mychat.media.v1.MediaKind values, as stored in the `kind` column. */
export const KIND_IMAGE = media.MediaKind.IMAGE;
export const KIND_VOICE = media.MediaKind.VOICE;
export const KIND_VIDEO = media.MediaKind.VIDEO;
export const KIND_FILE = media.MediaKind.FILE;

/** mychat.media.v1.MediaStatus values, as stored in the `status` column. */
export const STATUS_PROCESSING = media.MediaStatus.PROCESSING;
export const STATUS_READY = media.MediaStatus.READY;
export const STATUS_FAILED = media.MediaStatus.FAILED;

/** A stored file as the service uses it. */
export interface MediaRow {
  id: string;
  ownerId: string;
  kind: number;
  status: number;
  mime: string;
  size: number;
  sha256: string;
  name: string;
  blobKey: string;
  thumbKey: string | null;
  posterKey: string | null;
  width: number;
  height: number;
  durationMs: number;
  waveform: number[];
  placeholder: string;
  error: string;
  createdAt: number;
}

export interface DriveRow {
  id: string;
  ownerId: string;
  parentId: string;
  isFolder: boolean;
  name: string;
  mediaId: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface GrantRow {
  mediaId: string;
  convId: string;
  senderId: string;
  clientMsgId: string;
}
