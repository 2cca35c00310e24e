import { create } from '@bufbuild/protobuf';
import { media, message as pb } from '@mychat/protocol';
import { STICKER_MAX_BYTES } from '../../contracts/stickers.js';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import { isId } from '../../kernel/ids.js';
import { stripUnsafeNameChars } from '../../kernel/file-names.js';

/** The media a send carries: which files, and the kind every one must be (mychat.media.v1.MediaKind). */
export interface MediaAttachment {
  kind: number;
  mediaIds: string[];
}

const K = media.MediaKind;
const KIND = { image: K.IMAGE, voice: K.VOICE, video: K.VIDEO, file: K.FILE } as const;

/** Message types by content case. */
export const TYPE_OF: Record<string, pb.MessageType> = {
  text: pb.MessageType.TEXT,
  image: pb.MessageType.IMAGE,
  voice: pb.MessageType.VOICE,
  video: pb.MessageType.VIDEO,
  file: pb.MessageType.FILE,
  chatRecord: pb.MessageType.CHAT_RECORD,
  room: pb.MessageType.ROOM,
  sticker: pb.MessageType.STICKER,
  encrypted: pb.MessageType.ENCRYPTED,
};

const ref = (r: pb.MediaRef | undefined, field: string): string => {
  if (!r || !isId(r.mediaId)) throw errors.invalidArgument(`${field}.mediaId is not a valid id`, field);
  return r.mediaId;
};

/** Checks the shape of a media content and names its files; undefined for text. */
export function mediaOf(body: pb.MessageContent['body']): MediaAttachment | undefined {
  switch (body.case) {
    case 'image': {
      const n = body.value.images.length;
      if (n < 1 || n > 9)
        throw errors.invalidArgument('an image message has 1-9 images', 'content.image.images');
      const ids = body.value.images.map((r) => ref(r, 'content.image.images'));
      if (new Set(ids).size !== ids.length)
        throw errors.invalidArgument('an image appears twice', 'content.image.images');
      return { kind: KIND.image, mediaIds: ids };
    }
    case 'voice':
      return { kind: KIND.voice, mediaIds: [ref(body.value.audio, 'content.voice.audio')] };
    case 'video':
      return { kind: KIND.video, mediaIds: [ref(body.value.video, 'content.video.video')] };
    case 'file':
      if (body.value.name.length > 255) throw errors.tooLong('content.file.name', 255);
      return { kind: KIND.file, mediaIds: [ref(body.value.file, 'content.file.file')] };
    case 'sticker': {
      const { packId, emoji } = body.value;
      if (packId && !isId(packId))
        throw errors.invalidArgument('content.sticker.packId is not a valid id', 'content.sticker.packId');
      if ([...emoji].length > 16) throw errors.tooLong('content.sticker.emoji', 16);
      return { kind: KIND.image, mediaIds: [ref(body.value.image, 'content.sticker.image')] };
    }
    case 'encrypted': {
      // Encrypted files are opaque blobs of kind FILE: nothing to transcode or thumbnail.
      const ids = body.value.files.map((r) => ref(r, 'content.encrypted.files'));
      if (ids.length > 9) throw errors.invalidArgument('at most 9 files', 'content.encrypted.files');
      if (new Set(ids).size !== ids.length)
        throw errors.invalidArgument('a file appears twice', 'content.encrypted.files');
      return ids.length ? { kind: KIND.file, mediaIds: ids } : undefined;
    }
    default:
      return undefined;
  }
}

const toRef = (m: media.Media) =>
  create(pb.MediaRefSchema, {
    mediaId: m.id,
    mime: m.mime,
    size: m.size,
    width: m.width,
    height: m.height,
    placeholder: m.placeholder,
  });

/**
 * The content as stored: every MediaRef rebuilt from the media service's description, so
 * a client cannot claim another size, type or duration than the file has.
 */
export function canonicalContent(content: pb.MessageContent, files: media.Media[]): pb.MessageContent {
  const body = content.body;
  const first = files[0]!;
  switch (body.case) {
    case 'image':
      return create(pb.MessageContentSchema, {
        body: { case: 'image', value: { images: files.map(toRef) } },
      });
    case 'voice':
      return create(pb.MessageContentSchema, {
        body: {
          case: 'voice',
          value: { audio: toRef(first), durationMs: first.durationMs, waveform: first.waveform },
        },
      });
    case 'video':
      return create(pb.MessageContentSchema, {
        body: {
          case: 'video',
          value: {
            video: toRef(first),
            // The poster is a variant of the same file (GetDownloadUrl, variant POSTER).
            poster: create(pb.MediaRefSchema, {
              mediaId: first.id,
              mime: 'image/webp',
              width: first.width,
              height: first.height,
              placeholder: first.placeholder,
            }),
            durationMs: first.durationMs,
          },
        },
      });
    case 'sticker':
      if (Number(first.size) > STICKER_MAX_BYTES)
        throw new AppError(ErrorCode.STICKER_TOO_LARGE, 'a sticker is at most 1 MB', {
          field: 'content.sticker.image',
        });
      return create(pb.MessageContentSchema, {
        body: {
          case: 'sticker',
          value: { image: toRef(first), packId: body.value.packId, emoji: body.value.emoji },
        },
      });
    case 'file': {
      // The same rule as stored names: no controls or bidi overrides reach another member's screen.
      const name =
        stripUnsafeNameChars(body.value.name || first.name)
          .replace(/[\\/]/g, '_')
          .trim() || first.name;
      return create(pb.MessageContentSchema, { body: { case: 'file', value: { file: toRef(first), name } } });
    }
    case 'encrypted':
      return create(pb.MessageContentSchema, {
        body: { case: 'encrypted', value: { ...body.value, files: files.map(toRef) } },
      });
    default:
      return content;
  }
}

/** The files a stored message carries (none for text and system messages). */
export function mediaIdsOf(content: pb.MessageContent): string[] {
  const b = content.body;
  switch (b.case) {
    case 'image':
      return b.value.images.map((r) => r.mediaId);
    case 'voice':
      return b.value.audio ? [b.value.audio.mediaId] : [];
    case 'video':
      return b.value.video ? [b.value.video.mediaId] : [];
    case 'file':
      return b.value.file ? [b.value.file.mediaId] : [];
    case 'sticker':
      return b.value.image ? [b.value.image.mediaId] : [];
    case 'encrypted':
      return b.value.files.map((r) => r.mediaId);
    // A chat record carries the files of its snapshots (nested records included), granted
    // to the record message when it was sent.
    case 'chatRecord':
      return [...new Set(b.value.items.flatMap((i) => (i.content ? mediaIdsOf(i.content) : [])))];
    default:
      return [];
  }
}
