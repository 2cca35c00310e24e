/**
 * What a push carries to the service worker (JSON, encrypted; well under the 4 KiB a push
 * service takes). The worker words the notification in the user's language from these fields,
 * so the server sends no text of its own, and a message's words only with preview on.
 */
export interface PushPayload {
  v: 1;
  kind: 'message' | 'friend_request' | 'group_joined' | 'moment' | 'clear' | 'test' | 'call';
  /** A moment notice: what happened to the user's post or comment. */
  notice?: 'like' | 'comment' | 'reply' | 'mention';
  /** The conversation (message, group_joined, clear). */
  conversationId?: string;
  /** A 1:1 conversation. */
  direct?: boolean;
  /** The sender's or requester's nickname. */
  from?: string;
  /** The group's name. */
  group?: string;
  /** Messages this notification stands for (a burst coalesced into one). */
  count?: number;
  /** The first words of a text message or a moment comment (preview on only). */
  text?: string;
  /** What the message holds when it is not text: image, voice, video, file. */
  media?: string;
  /** A call: its id, and voice or video in `media`. */
  callId?: string;
  /** The recipient was mentioned (@me or @all). */
  mention?: boolean;
  /** The recipient's unread count over conversations they did not mute (the app badge). */
  unread?: number;
  /** Where a click opens, a path of the web app. */
  url: string;
  /** When it happened, epoch ms. */
  at: number;
}

/** Longest preview text, characters; names are cut at 64. */
export const PREVIEW_CHARS = 100;

/** Cuts a string to `n` characters (code points), with an ellipsis when cut. */
export function cut(s: string, n: number): string {
  const chars = [...s];
  return chars.length <= n ? s : `${chars.slice(0, n - 1).join('')}…`;
}

export const encodePayload = (p: PushPayload): string => JSON.stringify(p);
