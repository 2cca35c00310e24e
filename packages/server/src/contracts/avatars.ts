/**
 * Where a profile picture (of a person or a group) is served: a public path on the gateway
 * that redirects to a short-lived URL of the picture's thumbnail. Auth and contacts store it
 * as the avatar URL; the gateway reads the holder and the file back from it.
 */
import { isId } from '../kernel/ids.js';

export const AVATAR_PATH = '/media/v1/avatar/';

export const avatarPath = (holderId: string, mediaId: string): string =>
  `${AVATAR_PATH}${holderId}/${mediaId}`;

/** The file of a picture `holderId` holds through its stored URL, or '' (none, or an outside URL). */
export function heldAvatarId(holderId: string, url: string): string {
  if (!url.startsWith(AVATAR_PATH)) return '';
  const [holder, media, ...rest] = url.slice(AVATAR_PATH.length).split('/');
  return holder === holderId && media && isId(media) && rest.length === 0 ? media : '';
}

/** The holder and file named by a request path under AVATAR_PATH, or undefined. */
export function parseAvatarPath(pathname: string): { holderId: string; mediaId: string } | undefined {
  if (!pathname.startsWith(AVATAR_PATH)) return undefined;
  const [holderId, mediaId, ...rest] = pathname.slice(AVATAR_PATH.length).split('/');
  if (!holderId || !mediaId || rest.length || !isId(holderId) || !isId(mediaId)) return undefined;
  return { holderId, mediaId };
}
