import fsp from 'node:fs/promises';
import { fileTypeFromFile } from 'file-type';
import { AppError, ErrorCode } from '../../kernel/errors.js';
import { KIND_FILE, KIND_IMAGE, KIND_VIDEO, KIND_VOICE } from './media.tables.js';
import { stripUnsafeNameChars } from '../../kernel/file-names.js';

/** What the bytes are, decided from magic numbers only (never from a name or a header). */
export interface Sniffed {
  mime: string;
  /** The ffmpeg demuxer to force for audio and video, so no other (playlist) demuxer runs. */
  demuxer?: string;
}

const IMAGES = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif']);

/** Containers ffmpeg is allowed to open, by detected type, with the demuxer forced for each. */
const AV_DEMUXERS: Record<string, string> = {
  'audio/ogg': 'ogg',
  'audio/ogg; codecs=opus': 'ogg',
  'audio/mpeg': 'mp3',
  'audio/wav': 'wav',
  'audio/aac': 'aac',
  'audio/flac': 'flac',
  'audio/amr': 'amr',
  'audio/mp4': 'mov',
  'audio/x-m4a': 'mov',
  'video/mp4': 'mov',
  'video/quicktime': 'mov',
  'video/3gpp': 'mov',
  'video/x-m4v': 'mov',
  'video/webm': 'matroska',
  'video/matroska': 'matroska',
  'video/ogg': 'ogg',
};
const VIDEO_CONTAINERS = new Set([
  'video/mp4',
  'video/quicktime',
  'video/3gpp',
  'video/x-m4v',
  'video/webm',
  'video/matroska',
]);
const EXECUTABLES = new Set(['application/x-msdownload', 'application/x-elf', 'application/x-mach-binary']);

const refuse = (what: string, mime: string) =>
  new AppError(ErrorCode.MEDIA_TYPE_NOT_ALLOWED, `${what} cannot be ${mime}`, { field: 'kind' });

/** Plain text when the first 8 KiB are valid UTF-8 without NUL bytes. */
async function looksLikeText(file: string): Promise<boolean> {
  const h = await fsp.open(file, 'r');
  try {
    const buf = Buffer.alloc(8192);
    const { bytesRead } = await h.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead);
    if (head.includes(0)) return false;
    // A multi-byte character cut at the end of the window is still text.
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, Math.max(0, bytesRead - 4)));
    return true;
  } catch {
    return false;
  } finally {
    await h.close();
  }
}

/**
 * Checks that a file's bytes are a type allowed for the kind of upload, and says what they
 * are. An executable renamed `photo.png` is refused as an image because its magic bytes say
 * executable; as a plain file it is refused unless executables are allowed.
 */
export async function sniff(file: string, kind: number, allowExecutables: boolean): Promise<Sniffed> {
  const t = await fileTypeFromFile(file);
  const mime = t?.mime ?? '';
  switch (kind) {
    case KIND_IMAGE:
      if (!IMAGES.has(mime)) throw refuse('an image', mime || 'an unknown type');
      return { mime };
    case KIND_VOICE:
      // Browsers record voice into WebM (Chrome, Firefox) or MP4 (Safari) containers.
      if (!AV_DEMUXERS[mime]) throw refuse('a voice message', mime || 'an unknown type');
      return { mime, demuxer: AV_DEMUXERS[mime]! };
    case KIND_VIDEO:
      if (!VIDEO_CONTAINERS.has(mime)) throw refuse('a video', mime || 'an unknown type');
      return { mime, demuxer: AV_DEMUXERS[mime]! };
    case KIND_FILE:
      if (EXECUTABLES.has(mime) && !allowExecutables) throw refuse('a file', 'an executable');
      if (mime) return { mime };
      return { mime: (await looksLikeText(file)) ? 'text/plain; charset=utf-8' : 'application/octet-stream' };
    default:
      throw new AppError(ErrorCode.INVALID_ARGUMENT, 'kind must be image, voice, video or file', {
        field: 'kind',
      });
  }
}

/**
 * A display name safe to store and to put in Content-Disposition: no directories (a
 * traversal attempt keeps only its last part), no control or quote characters, at most
 * 200 characters, never empty.
 */
export function cleanName(name: string, fallback = 'file'): string {
  const last = name.split(/[\\/]/).pop() ?? '';
  const cleaned = stripUnsafeNameChars(last)
    .replace(/["<>|:*?]/g, '')
    .replace(/^[.\s]+/, '')
    .trim()
    .slice(0, 200);
  return cleaned || fallback;
}
