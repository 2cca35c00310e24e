import type { ServiceImpl } from '@connectrpc/connect';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { media as pb, stickerFiles as spb } from '@mychat/protocol';
import { errors } from '../../kernel/errors.js';
import { parseId as id } from '../../kernel/ids.js';
import { requireCaller } from '../../rpc/call-context.js';
import type { AvatarFiles } from './media.avatars.js';
import type { FavoriteFiles } from './media.favorites.js';
import type { StickerFiles, StickerHolder } from './media.stickers.js';
import type { DriveService } from './media.drive.js';
import type { MomentFiles, MomentHolder } from './media.moments.js';
import type { RoomTrackHolder, RoomTracks } from './media.rooms.js';
import type { MediaService } from './media.service.js';
import { PURGE_DEFAULT_LIMIT, PURGE_MAX_LIMIT, type MediaPurge } from './media.purge.js';
import { driveView, mediaView } from './media.views.js';

const CLIENT_MSG_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const UPLOAD_ID = /^[A-Za-z0-9_-]{8,64}$/;

const optId = (v: string, field: string) => (v === '' || v === 'root' ? v : id(v, field));

/** MediaService over the wire: parse, call, shape. */
export function mediaRpc(service: MediaService, drive: DriveService): ServiceImpl<typeof pb.MediaService> {
  const entryView = async (ownerId: string, entryId: string) => {
    const e = await drive.entry(ownerId, entryId);
    const m = e.mediaId ? await service.own(ownerId, e.mediaId) : undefined;
    return { entry: driveView(e, m) };
  };
  return {
    async getMedia(req, ctx) {
      return {
        media: mediaView(await service.own(requireCaller(ctx).userId, id(req.mediaId, 'mediaId'))),
      };
    },
    async getDownloadUrl(req, ctx) {
      const r = await service.downloadUrl(
        requireCaller(ctx).userId,
        id(req.mediaId, 'mediaId'),
        req.variant,
        req.download,
      );
      return { url: r.url, expiresAt: timestampFromMs(r.expiresAtMs) };
    },
    async trimVideo(req, ctx) {
      const m = await service.trim(
        requireCaller(ctx).userId,
        id(req.mediaId, 'mediaId'),
        req.startMs,
        req.endMs,
      );
      return { media: mediaView(m) };
    },
    async getQuota(_req, ctx) {
      const u = await service.usage(requireCaller(ctx).userId);
      return {
        usedBytes: String(u.usedBytes),
        limitBytes: String(u.limitBytes),
        driveBytes: String(u.driveBytes),
      };
    },
    async listDrive(req, ctx) {
      const r = await drive.list(requireCaller(ctx).userId, optId(req.folderId, 'folderId'));
      return {
        entries: r.entries.map((e) => driveView(e, e.mediaId ? r.media.get(e.mediaId) : undefined)),
        path: r.path.map((e) => driveView(e)),
      };
    },
    async createFolder(req, ctx) {
      const e = await drive.createFolder(
        requireCaller(ctx).userId,
        optId(req.parentId, 'parentId'),
        req.name,
      );
      return { entry: driveView(e) };
    },
    async addToDrive(req, ctx) {
      const userId = requireCaller(ctx).userId;
      const m = await service.own(userId, id(req.mediaId, 'mediaId'));
      const e = await drive.addFile(userId, m, optId(req.folderId, 'folderId'), req.name);
      return { entry: driveView(e, m) };
    },
    async renameEntry(req, ctx) {
      const userId = requireCaller(ctx).userId;
      await drive.rename(userId, id(req.entryId, 'entryId'), req.name);
      return entryView(userId, req.entryId);
    },
    async moveEntry(req, ctx) {
      const userId = requireCaller(ctx).userId;
      await drive.move(userId, id(req.entryId, 'entryId'), optId(req.parentId, 'parentId'));
      return entryView(userId, req.entryId);
    },
    async deleteEntry(req, ctx) {
      await drive.remove(requireCaller(ctx).userId, id(req.entryId, 'entryId'));
      return {};
    },
  };
}

/** MediaInternalService: the gateway's uploads and the message service's attachments. */
/** The holder of a moments call: an owner, and a post or (empty) their cover. */
function holderOf(h: pb.MomentHolder | undefined): MomentHolder {
  return {
    ownerId: id(h?.ownerId, 'holder.ownerId'),
    momentId: h?.momentId ? id(h.momentId, 'holder.momentId') : '',
  };
}

function momentMediaIds(raw: string[]): string[] {
  if (raw.length < 1 || raw.length > 9) throw errors.invalidArgument('1-9 files', 'mediaIds');
  const ids = raw.map((m) => id(m, 'mediaIds'));
  if (new Set(ids).size !== ids.length) throw errors.invalidArgument('a file appears twice', 'mediaIds');
  return ids;
}

/** The holder of a rooms call: the room and the member who added the track. */
function roomHolderOf(h: pb.RoomTrackHolder | undefined): RoomTrackHolder {
  return { ownerId: id(h?.ownerId, 'holder.ownerId'), roomId: id(h?.roomId, 'holder.roomId') };
}

/** A sticker's holder: a user's sticker, or a pack (no user). */
function stickerHolderOf(h: spb.StickerHolder | undefined): StickerHolder {
  return {
    holderId: id(h?.holderId, 'holder.holderId'),
    userId: h?.userId ? id(h.userId, 'holder.userId') : '',
  };
}

export function mediaInternalRpc(
  service: MediaService,
  drive: DriveService,
  moments: MomentFiles,
  avatars: AvatarFiles,
  favorites: FavoriteFiles,
  rooms: RoomTracks,
  usage: () => Promise<{ bytes: number; files: number }>,
  purge: MediaPurge,
): ServiceImpl<typeof pb.MediaInternalService> {
  return {
    async getStorageUsage() {
      const u = await usage();
      return { bytes: String(u.bytes), files: String(u.files) };
    },
    async purgeUserMedia(req) {
      const userId = id(req.userId, 'userId');
      if (req.limit > PURGE_MAX_LIMIT)
        throw errors.invalidArgument(`limit is at most ${PURGE_MAX_LIMIT}`, 'limit');
      const r = await purge.purge(userId, req.limit || PURGE_DEFAULT_LIMIT);
      return { files: r.files, bytes: String(r.bytes), more: r.more };
    },
    async checkUpload(req) {
      const size = Number(req.size);
      if (!Number.isSafeInteger(size) || size <= 0)
        throw errors.invalidArgument('size must be positive', 'size');
      if (req.reserveUploadId && !UPLOAD_ID.test(req.reserveUploadId))
        throw errors.invalidArgument('reserveUploadId is not valid', 'reserveUploadId');
      await service.checkUpload(id(req.ownerId, 'ownerId'), req.kind, size, req.reserveUploadId);
      return {};
    },
    async releaseUpload(req) {
      if (!UPLOAD_ID.test(req.uploadId)) throw errors.invalidArgument('uploadId is not valid', 'uploadId');
      await service.release(id(req.ownerId, 'ownerId'), req.uploadId);
      return {};
    },
    async finalizeUpload(req) {
      if (!UPLOAD_ID.test(req.uploadId)) throw errors.invalidArgument('uploadId is not valid', 'uploadId');
      const m = await service.finalize({
        ownerId: id(req.ownerId, 'ownerId'),
        kind: req.kind,
        stagingKey: req.stagingKey,
        name: req.name,
        uploadId: req.uploadId,
        folderId: optId(req.folderId, 'folderId'),
      });
      return { media: mediaView(m) };
    },
    async attachMedia(req) {
      if (!CLIENT_MSG_ID.test(req.clientMsgId))
        throw errors.invalidArgument('clientMsgId is not valid', 'clientMsgId');
      if (req.mediaIds.length < 1 || req.mediaIds.length > 9)
        throw errors.invalidArgument('a message carries 1-9 files', 'mediaIds');
      const rows = await service.attach({
        senderId: id(req.senderId, 'senderId'),
        convId: id(req.conversationId, 'conversationId'),
        clientMsgId: req.clientMsgId,
        mediaIds: req.mediaIds.map((m) => id(m, 'mediaIds')),
        kind: req.kind,
        ...(req.viaConversationId && {
          via: {
            convId: id(req.viaConversationId, 'viaConversationId'),
            senderId: id(req.viaSenderId, 'viaSenderId'),
            clientMsgId: req.viaClientMsgId,
          },
        }),
      });
      return { media: rows.map(mediaView) };
    },
    async signUrl(req) {
      if (!CLIENT_MSG_ID.test(req.clientMsgId))
        throw errors.invalidArgument('clientMsgId is not valid', 'clientMsgId');
      const r = await service.signForMessage(
        {
          mediaId: id(req.mediaId, 'mediaId'),
          convId: id(req.conversationId, 'conversationId'),
          senderId: id(req.senderId, 'senderId'),
          clientMsgId: req.clientMsgId,
        },
        req.variant,
        req.download,
      );
      return { url: r.url, expiresAt: timestampFromMs(r.expiresAtMs) };
    },
    async saveToDrive(req) {
      if (!CLIENT_MSG_ID.test(req.clientMsgId))
        throw errors.invalidArgument('clientMsgId is not valid', 'clientMsgId');
      const userId = id(req.userId, 'userId');
      const seen = await service.granted({
        mediaId: id(req.mediaId, 'mediaId'),
        convId: id(req.conversationId, 'conversationId'),
        senderId: id(req.senderId, 'senderId'),
        clientMsgId: req.clientMsgId,
      });
      // Someone else's file (sent in a chat) is kept as the caller's own copy.
      const m = await service.ownCopy(userId, seen);
      const e = await drive.addFile(userId, m, optId(req.folderId, 'folderId'), req.name);
      return { entry: driveView(e, m) };
    },
    async attachMomentMedia(req) {
      const rows = await moments.attach(holderOf(req.holder), momentMediaIds(req.mediaIds), req.kind);
      return { media: rows.map(mediaView) };
    },
    async signMomentUrl(req) {
      const r = await moments.sign(
        holderOf(req.holder),
        id(req.mediaId, 'mediaId'),
        req.variant,
        req.download,
      );
      return { url: r.url, expiresAt: timestampFromMs(r.expiresAtMs) };
    },
    async detachMomentMedia(req) {
      await moments.detach(holderOf(req.holder), momentMediaIds(req.mediaIds));
      return {};
    },
    async holdAvatar(req) {
      const m = await avatars.hold(
        id(req.holderId, 'holderId'),
        id(req.uploaderId, 'uploaderId'),
        req.mediaId && id(req.mediaId, 'mediaId'),
        req.previousMediaId && id(req.previousMediaId, 'previousMediaId'),
      );
      return m ? { media: mediaView(m) } : {};
    },
    async holdFavoriteMedia(req) {
      if (!CLIENT_MSG_ID.test(req.clientMsgId))
        throw errors.invalidArgument('clientMsgId is not valid', 'clientMsgId');
      const m = await favorites.hold(id(req.userId, 'userId'), id(req.favoriteId, 'favoriteId'), {
        mediaId: id(req.mediaId, 'mediaId'),
        convId: id(req.conversationId, 'conversationId'),
        senderId: id(req.senderId, 'senderId'),
        clientMsgId: req.clientMsgId,
      });
      return { media: mediaView(m) };
    },
    async signFavoriteUrl(req) {
      const r = await favorites.sign(
        id(req.userId, 'userId'),
        id(req.favoriteId, 'favoriteId'),
        id(req.mediaId, 'mediaId'),
        req.variant,
        req.download,
      );
      return { url: r.url, expiresAt: timestampFromMs(r.expiresAtMs) };
    },
    async releaseFavoriteMedia(req) {
      await favorites.release(
        id(req.userId, 'userId'),
        id(req.favoriteId, 'favoriteId'),
        req.mediaIds.map((m) => id(m, 'mediaIds')),
      );
      return {};
    },
    async signAvatarUrl(req) {
      const r = await avatars.sign(id(req.holderId, 'holderId'), id(req.mediaId, 'mediaId'));
      return { url: r.url, expiresAt: timestampFromMs(r.expiresAtMs) };
    },
    async attachRoomTrack(req) {
      const r = await rooms.attach(roomHolderOf(req.holder), id(req.mediaId, 'mediaId'));
      return { media: mediaView(r.media), track: r.track };
    },
    async signRoomTrackUrl(req) {
      const r = await rooms.sign(roomHolderOf(req.holder), id(req.mediaId, 'mediaId'));
      return { url: r.url, coverUrl: r.coverUrl, expiresAt: timestampFromMs(r.expiresAtMs) };
    },
    async detachRoomTrack(req) {
      await rooms.detach(roomHolderOf(req.holder), id(req.mediaId, 'mediaId'));
      return {};
    },
  };
}

/** StickerFilesService: the message module's sticker files. */
export function stickerFilesRpc(stickers: StickerFiles): ServiceImpl<typeof spb.StickerFilesService> {
  return {
    async holdStickerMedia(req) {
      const mediaId = id(req.mediaId, 'mediaId');
      const holder = stickerHolderOf(req.holder);
      if (!req.conversationId)
        return {
          media: mediaView(await stickers.hold(holder, mediaId, undefined, id(req.ownerId, 'ownerId'))),
        };
      if (!CLIENT_MSG_ID.test(req.clientMsgId))
        throw errors.invalidArgument('clientMsgId is not valid', 'clientMsgId');
      const message = {
        mediaId,
        convId: id(req.conversationId, 'conversationId'),
        senderId: id(req.senderId, 'senderId'),
        clientMsgId: req.clientMsgId,
      };
      const m = await stickers.hold(holder, mediaId, message, '');
      return { media: mediaView(m) };
    },
    async signStickerUrls(req) {
      const r = await stickers.sign(
        req.files.map((f) => ({
          holder: stickerHolderOf(f.holder),
          mediaId: id(f.mediaId, 'files.mediaId'),
        })),
      );
      return { urls: r.urls, expiresAt: timestampFromMs(r.expiresAtMs) };
    },
    async releaseStickerMedia(req) {
      await stickers.release(
        stickerHolderOf(req.holder),
        req.mediaIds.map((m) => id(m, 'mediaIds')),
      );
      return {};
    },
  };
}
