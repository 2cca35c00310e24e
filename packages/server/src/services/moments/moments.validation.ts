import { moments as pb } from '@mychat/protocol';
import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import { parseId } from '../../kernel/ids.js';

/** Input limits of the moments API (characters are code points, as a person counts them). */
export const LIMITS = {
  text: 2000,
  images: 9,
  location: 100,
  linkUrl: 2048,
  linkTitle: 200,
  audienceList: 500,
  audienceTags: 20,
  mentions: 10,
  comment: 1000,
  commentsPerPost: 1000,
  pageDefault: 20,
  pageMax: 50,
  noticesMax: 100,
  filterIds: 500,
} as const;

/**
 * Characters a post or comment may not carry: C0/C1 controls other than newline and tab,
 * bidi overrides and isolates (they can make text read differently than it is), line and
 * paragraph separators, and the BOM. Joiners stay: emoji sequences need them.
 */
const FORBIDDEN =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069\u2028\u2029\uFEFF]/u;

const charCount = (s: string) => [...s].length;

/** Free text: trimmed, NFC, at most `max` characters, newlines where `multiline`. */
export function parseText(raw: string, field: string, max: number, multiline: boolean): string {
  if (raw.length > max * 4) throw errors.tooLong(field, max);
  const v = raw.trim().normalize('NFC');
  if (charCount(v) > max) throw errors.tooLong(field, max);
  if (FORBIDDEN.test(v) || (!multiline && /[\n\t]/.test(v)))
    throw errors.invalidArgument(`${field} has control characters`, field);
  return v;
}

/** Ids of a list, de-duplicated, at most `max`. */
export function parseIds(raw: readonly string[], field: string, max: number): string[] {
  if (raw.length > max) throw errors.invalidArgument(`at most ${max} ids`, field);
  return [...new Set(raw.map((id) => parseId(id, field)))];
}

/** A page size: 0 means the default. */
export function parseLimit(raw: number, max: number = LIMITS.pageMax): number {
  if (raw === 0) return LIMITS.pageDefault;
  if (!Number.isInteger(raw) || raw < 1 || raw > max)
    throw errors.invalidArgument(`limit must be 1-${max}`, 'limit');
  return raw;
}

/** A cursor of a paged answer: "" for the first page, else an id from the previous one. */
export const parseCursor = (raw: string): string => (raw === '' ? '' : parseId(raw, 'cursor'));

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export interface PublishInput {
  text: string;
  imageIds: string[];
  videoId: string;
  location: string;
  linkUrl: string;
  linkTitle: string;
  audience: number;
  list: string[];
  /** Friend tags whose members join `list`. */
  tags: string[];
  mentions: string[];
  clientId: string | null;
}

function parseLink(link: pb.MomentLink | undefined): { url: string; title: string } {
  if (!link || (!link.url && !link.title)) return { url: '', title: '' };
  const url = link.url.trim();
  if (url.length > LIMITS.linkUrl) throw errors.tooLong('link.url', LIMITS.linkUrl);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw errors.invalidArgument('link.url is not a URL', 'link.url');
  }
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || /\s/.test(url))
    throw errors.invalidArgument('link.url must be an http or https URL', 'link.url');
  return { url, title: parseText(link.title, 'link.title', LIMITS.linkTitle, false) };
}

const AUDIENCES = new Set<number>([
  pb.Audience.FRIENDS,
  pb.Audience.PRIVATE,
  pb.Audience.ONLY,
  pb.Audience.EXCEPT,
]);

/** Checks a publish request's shape (who may be named is the service's question). */
export function parsePublish(req: pb.PublishMomentRequest): PublishInput {
  const text = parseText(req.text, 'text', LIMITS.text, true);
  if (req.imageIds.length > LIMITS.images || (req.videoId && req.imageIds.length > 0))
    throw new AppError(ErrorCode.MOMENT_TOO_MANY_MEDIA, 'a moment has at most 9 images, or one video', {
      field: 'imageIds',
    });
  const imageIds = req.imageIds.map((id) => parseId(id, 'imageIds'));
  if (new Set(imageIds).size !== imageIds.length)
    throw errors.invalidArgument('an image appears twice', 'imageIds');
  const videoId = req.videoId ? parseId(req.videoId, 'videoId') : '';
  if (!text && imageIds.length === 0 && !videoId)
    throw new AppError(ErrorCode.MOMENT_EMPTY, 'a moment needs text, images or a video', { field: 'text' });
  const audience = req.visibility?.audience || pb.Audience.FRIENDS;
  if (!AUDIENCES.has(audience)) throw errors.invalidArgument('unknown audience', 'visibility.audience');
  const listed = audience === pb.Audience.ONLY || audience === pb.Audience.EXCEPT;
  const list = parseIds(req.visibility?.userIds ?? [], 'visibility.userIds', LIMITS.audienceList);
  if (!listed && list.length)
    throw errors.invalidArgument('only AUDIENCE_ONLY and AUDIENCE_EXCEPT take a list', 'visibility.userIds');
  const tags = parseIds(req.visibility?.tagIds ?? [], 'visibility.tagIds', LIMITS.audienceTags);
  if (!listed && tags.length)
    throw errors.invalidArgument('only AUDIENCE_ONLY and AUDIENCE_EXCEPT take tags', 'visibility.tagIds');
  if (audience === pb.Audience.ONLY && list.length === 0 && tags.length === 0)
    throw errors.invalidArgument('AUDIENCE_ONLY needs at least one friend', 'visibility.userIds');
  if (req.mentionUserIds.length > LIMITS.mentions)
    throw new AppError(ErrorCode.MOMENT_TOO_MANY_MENTIONS, `remind at most ${LIMITS.mentions} friends`, {
      field: 'mentionUserIds',
    });
  if (req.clientId && !CLIENT_ID.test(req.clientId))
    throw errors.invalidArgument('clientId is not valid', 'clientId');
  const link = parseLink(req.link);
  return {
    text,
    imageIds,
    videoId,
    location: parseText(req.location, 'location', LIMITS.location, false),
    linkUrl: link.url,
    linkTitle: link.title,
    audience,
    list,
    tags,
    mentions: parseIds(req.mentionUserIds, 'mentionUserIds', LIMITS.mentions),
    clientId: req.clientId || null,
  };
}

/** An enum value the client set: one of `allowed`, or INVALID_ARGUMENT. */
export function parseEnum(
  raw: number | undefined,
  allowed: readonly number[],
  field: string,
): number | undefined {
  if (raw === undefined) return undefined;
  if (!allowed.includes(raw)) throw errors.invalidArgument(`${field} is not a known value`, field);
  return raw;
}
