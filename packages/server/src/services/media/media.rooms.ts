import { AppError, ErrorCode } from '../../kernel/errors.js';
import type { MediaRepository } from './media.repository.js';
import type { MediaService } from './media.service.js';
import type { GrantRow, MediaRow } from './media.tables.js';

/**
 * What holds files for the rooms service: a listen-together room, for the member who added the
 * track (the file's owner). Stored as grants beside the messages' ones: the room in `conv_id`,
 * the owner in `sender_id` and a marker in `client_msg_id` that no client message id can spell
 * ('#'), so a chat grant can never reach a room's track or the other way round.
 */
export interface RoomTrackHolder {
  ownerId: string;
  roomId: string;
}

const ROOM = '#room';

export const roomGrant = (h: RoomTrackHolder, mediaId: string): GrantRow => ({
  mediaId,
  convId: h.roomId,
  senderId: h.ownerId,
  clientMsgId: ROOM,
});

/** Audio a browser's <audio> plays (the transcoded form, or the upload as it came). */
const PLAYABLE = /^audio\/(mpeg|mp4|x-m4a|aac|ogg|flac|wav|webm)\b/;

const KIND_FILE = 4;

/**
 * The rooms service's tracks. Rooms decides who is a member (and so who may hear a track);
 * media checks that the file is the owner's, ready and audio, records that the room holds it
 * so the orphan sweep leaves it alone, and signs URLs for held tracks only.
 */
export class RoomTracks {
  constructor(
    private readonly service: MediaService,
    private readonly repo: MediaRepository,
  ) {}

  /** Checks the file (the owner's, ready, audio) and records that the room holds it. */
  async attach(holder: RoomTrackHolder, mediaId: string): Promise<MediaRow> {
    const own = await this.service.own(holder.ownerId, mediaId);
    if (!PLAYABLE.test(own.mime))
      throw new AppError(ErrorCode.ROOM_TRACK_UNPLAYABLE, 'only audio files can be played in a room', {
        field: 'mediaId',
      });
    const g = roomGrant(holder, mediaId);
    const [row] = await this.service.attach({
      senderId: holder.ownerId,
      convId: g.convId,
      clientMsgId: g.clientMsgId,
      mediaIds: [mediaId],
      kind: KIND_FILE,
    });
    return row!;
  }

  /** A URL for a track the room holds; NOT_FOUND for any other file. */
  sign(holder: RoomTrackHolder, mediaId: string) {
    return this.service.signForMessage(roomGrant(holder, mediaId), 0, false);
  }

  /** The room lets go of the track; the file is freed when nothing else holds it. */
  async detach(holder: RoomTrackHolder, mediaId: string): Promise<void> {
    await this.repo.removeGrant(roomGrant(holder, mediaId));
    await this.service.freeIfUnused(mediaId);
  }
}
