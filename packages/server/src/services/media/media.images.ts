import sharp from 'sharp';
import { AppError, ErrorCode } from '../../kernel/errors.js';

/** What image processing produced. */
export interface ProcessedImage {
  /** Re-encoded bytes when the original carried metadata or an orientation; else undefined (keep it). */
  normalized?: Buffer;
  width: number;
  height: number;
  thumbnail: Buffer;
  /** A data: URL of a WebP at most 16 px on the long side. */
  placeholder: string;
}

/**
 * A decoder failure on bytes whose magic said "image" (a truncated or damaged file) is the
 * uploader's problem, not the server's: a stable code instead of a 500. libvips' message
 * names only the decoder's complaint, so it is kept as the cause for the log.
 */
export function corruptImage(cause: unknown): AppError {
  const err = new AppError(ErrorCode.MEDIA_CORRUPT, 'the image is damaged or incomplete', { field: 'file' });
  err.cause = cause;
  return err;
}

const decoding = <T>(p: Promise<T>): Promise<T> =>
  p.catch((e: unknown) => {
    throw e instanceof AppError ? e : corruptImage(e);
  });

/** Small WebP preview as a data: URL. */
export async function placeholderOf(input: Buffer | string): Promise<string> {
  const tiny = await sharp(input, { failOn: 'none' })
    .rotate()
    .resize(16, 16, { fit: 'inside' })
    .webp({ quality: 40 })
    .toBuffer();
  return `data:image/webp;base64,${tiny.toString('base64')}`;
}

/**
 * Images through sharp (libvips). The header is read first and anything over the pixel
 * limit refused before a single pixel is decoded (decompression bombs); the decoder is
 * capped at the same limit. EXIF orientation is applied, and the stored image is re-encoded
 * without EXIF, XMP or IPTC whenever it had any, so GPS positions never leave the server.
 */
export class ImageTool {
  constructor(private readonly o: { maxPixels: number; thumbnailSize: number }) {}

  async process(file: string, mime: string): Promise<ProcessedImage> {
    const meta = await sharp(file, { failOn: 'none', limitInputPixels: false })
      .metadata()
      .catch(() => {
        throw new AppError(ErrorCode.MEDIA_TYPE_NOT_ALLOWED, 'the image cannot be read', { field: 'file' });
      });
    const w = meta.width ?? 0;
    const h = meta.height ?? 0;
    const frames = meta.pages ?? 1;
    if (!w || !h)
      throw new AppError(ErrorCode.MEDIA_TYPE_NOT_ALLOWED, 'the image has no size', { field: 'file' });
    if (w * h * frames > this.o.maxPixels) {
      throw new AppError(
        ErrorCode.MEDIA_TOO_LARGE,
        `images are limited to ${this.o.maxPixels} pixels; this one has ${w}x${h}${frames > 1 ? `x${frames}` : ''}`,
        { field: 'file' },
      );
    }
    const limit = { failOn: 'error' as const, limitInputPixels: this.o.maxPixels };
    const rotated = (meta.orientation ?? 1) > 1;
    const hasMetadata = Boolean(meta.exif || meta.xmp || meta.iptc) || rotated;
    let normalized: Buffer | undefined;
    let width = rotated && (meta.orientation ?? 1) >= 5 ? h : w;
    let height = rotated && (meta.orientation ?? 1) >= 5 ? w : h;
    if (hasMetadata && mime !== 'image/gif') {
      // sharp writes no metadata unless asked; the ICC profile is kept so colours survive. An
      // animated WebP keeps every frame (a sticker stays animated) and is not turned.
      const img =
        frames > 1
          ? sharp(file, { ...limit, animated: true }).keepIccProfile()
          : sharp(file, limit).rotate().keepIccProfile();
      const encoded =
        mime === 'image/png'
          ? img.png()
          : mime === 'image/webp'
            ? img.webp({ quality: 90 })
            : mime === 'image/avif'
              ? img.avif({ quality: 70 })
              : img.jpeg({ quality: 90 });
      const { data, info } = await decoding(encoded.toBuffer({ resolveWithObject: true }));
      normalized = data;
      // An animated image's info is of the whole strip of frames; its size is a frame's.
      if (frames === 1) {
        width = info.width;
        height = info.height;
      }
    }
    const source = normalized ?? file;
    const thumbnail = await decoding(
      sharp(source, limit)
        .rotate()
        .resize(this.o.thumbnailSize, this.o.thumbnailSize, { fit: 'inside', withoutEnlargement: true })
        .webp({ quality: 75 })
        .toBuffer(),
    );
    return {
      ...(normalized && { normalized }),
      width,
      height,
      thumbnail,
      placeholder: await placeholderOf(thumbnail),
    };
  }

  /** A poster frame (PNG from ffmpeg) as a WebP at most `size` px, with its placeholder. */
  async poster(png: Buffer, size: number): Promise<{ webp: Buffer; placeholder: string }> {
    const webp = await sharp(png, { limitInputPixels: this.o.maxPixels })
      .resize(size, size, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 75 })
      .toBuffer();
    return { webp, placeholder: await placeholderOf(webp) };
  }
}
