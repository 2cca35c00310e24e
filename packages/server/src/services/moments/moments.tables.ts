/** Row shapes of the moments service's tables (see moments.migrations.ts). */
export interface MomentsTables {
  moments_posts: {
    id: string;
    author_id: string;
    client_id: string | null;
    text: string;
    /** JSON array of the files' descriptions (StoredMedia), in display order. */
    media: string;
    location: string;
    link_url: string;
    link_title: string;
    audience: number;
    /** Reminded friends' ids, comma-separated. */
    mentions: string;
    /** The author's friend tags the only/except list was made from, comma-separated. */
    audience_tags: string;
    created_at: number;
    /**
     * Bumped in the transaction of every like, unlike, comment and comment deletion: a copy of
     * the post with its likes and comments read at this version or later is current for it.
     */
    version: number;
  };
  moments_audience: { moment_id: string; user_id: string };
  moments_timeline: { viewer_id: string; moment_id: string; author_id: string };
  moments_outbox: {
    moment_id: string;
    author_id: string;
    attempts: number;
    run_after: number;
    locked_until: number;
    created_at: number;
  };
  moments_likes: { moment_id: string; user_id: string; created_at: number };
  moments_comments: {
    id: string;
    moment_id: string;
    author_id: string;
    reply_to_comment_id: string | null;
    reply_to_user_id: string | null;
    text: string;
    created_at: number;
  };
  moments_notices: {
    id: string;
    user_id: string;
    kind: number;
    moment_id: string;
    actor_id: string;
    comment_id: string | null;
    created_at: number;
  };
  moments_settings: {
    user_id: string;
    album_window: number;
    stranger_access: number;
    /** JSON of the cover's StoredMedia, or null. */
    cover: string | null;
    updated_at: number;
  };
  moments_filters: { user_id: string; kind: number; other_id: string; created_at: number };
  moments_readers: {
    user_id: string;
    /** When they last read their feed (the fan-out skips those inactive for `activeDays`). */
    active_at: number;
    /** When their feed was last filled by pulling from friends' albums. */
    pulled_at: number;
    /** The newest notice id they have marked read. */
    notices_read_id: string;
  };
}

/** moments_filters.kind: `user_id` hides their posts from `other_id` (不让他看). */
export const FILTER_HIDE_FROM = 1;
/** moments_filters.kind: `user_id` does not want `other_id`'s posts in their feed (不看他). */
export const FILTER_MUTE = 2;

/** A file of a post (or a cover) as stored: the media service's description of it. */
export interface StoredMedia {
  id: string;
  kind: number;
  mime: string;
  size: number;
  width: number;
  height: number;
  durationMs: number;
  placeholder: string;
  thumb: boolean;
  poster: boolean;
}
