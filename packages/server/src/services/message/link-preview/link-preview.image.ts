import sharp from 'sharp';
import type { SafeFetchOptions } from '../../../kernel/safe-fetch.js';
import { safeGet } from '../../../kernel/safe-fetch.js';
import type { LinkPreviewLimits } from './link-preview.fetch.js';

/** An og:image read at most (refused beyond, never cut: a cut image does not decode). */
export const MAX_IMAGE_BYTES = 2 * 1024 * 1024;
/** The thumbnail's box, px: covered, then cut to it. */
export const THUMB_SIZE = 160;
/** A thumbnail larger than this is not kept (it travels in every history page). */
export const MAX_THUMB_BYTES = 16 * 1024;
/** Pixels decoded at most: a small file that expands to a huge bitmap is refused. */
const MAX_PIXELS = 24_000_000;
const IMAGES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/**
 * The thumbnail of a page's og:image: fetched through the same SSRF guard as the page
 * (public addresses only, every redirect checked, one of four image types, at most 2 MB,
 * the same time cap), its first frame decoded with a pixel limit and turned into a WebP of
 * at most 160x160. Undefined when anything fails: the preview then simply has no image.
 */
export async function fetchPreviewImage(
  imageUrl: string,
  limits: Pick<LinkPreviewLimits, 'allowHttp' | 'timeoutMs'>,
  testHooks: Pick<SafeFetchOptions, 'resolve' | 'allowAddress' | 'ca'> = {},
): Promise<Buffer | undefined> {
  try {
    const img = await safeGet(imageUrl, {
      allowHttp: limits.allowHttp,
      maxBytes: MAX_IMAGE_BYTES,
      truncate: false,
      timeoutMs: limits.timeoutMs,
      maxRedirects: 3,
      accept: (t) => IMAGES.has(t),
      ...testHooks,
    });
    return await thumbnail(img.body);
  } catch {
    return undefined;
  }
}

/** A WebP thumbnail of an image's first frame, or undefined when it is not a usable image. */
export async function thumbnail(input: Buffer): Promise<Buffer | undefined> {
  const out = await sharp(input, { failOn: 'error', limitInputPixels: MAX_PIXELS, pages: 1 })
    .rotate()
    .resize(THUMB_SIZE, THUMB_SIZE, { fit: 'cover', withoutEnlargement: true })
    .webp({ quality: 70 })
    .toBuffer()
    .catch(() => undefined);
  return out && out.length <= MAX_THUMB_BYTES ? out : undefined;
}
