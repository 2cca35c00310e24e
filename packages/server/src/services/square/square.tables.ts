/** Row shapes of the square service's tables (see square.migrations.ts). */
export interface SquareTables {
  square_boards: {
    id: string;
    name: string;
    description: string;
    /** 0 for a public board. */
    group_id: string;
    thread_count: number;
    created_by: string;
    created_at: number;
  };
  square_threads: {
    id: string;
    board_id: string;
    author_id: string;
    title: string;
    excerpt: string;
    first_post_id: string;
    /** Posts ever written in the thread, the first included (the next floor). */
    post_seq: number;
    reply_count: number;
    like_count: number;
    /** The hot score x 1e6, rounded (an integer keeps keyset paging exact on every engine). */
    hot: number;
    pinned: number;
    locked: number;
    removed: number;
    created_at: number;
    last_reply_at: number;
  };
  square_posts: {
    id: string;
    thread_id: string;
    author_id: string;
    floor: number;
    body: string;
    html: string;
    quote_post_id: string | null;
    /** JSON array of StoredMedia. */
    media: string;
    /** Mentioned user ids, comma-separated. */
    mentions: string;
    like_count: number;
    removed: number;
    removed_reason: string;
    edited_at: number;
    created_at: number;
  };
  square_post_edits: { id: string; post_id: string; body: string; edited_at: number };
  /** A post to index again (a moved thread's), in feed order by id. */
  square_reindex: { id: string; post_id: string };
  square_likes: { post_id: string; user_id: string; created_at: number };
  square_follows: { thread_id: string; user_id: string; created_at: number };
  square_moderators: { board_id: string; user_id: string; created_at: number };
  square_bans: {
    /** 0: the whole square. */
    board_id: string;
    user_id: string;
    until_at: number;
    reason: string;
    banned_by: string;
    created_at: number;
  };
  square_reports: {
    id: string;
    reporter_id: string;
    board_id: string;
    thread_id: string;
    post_id: string;
    author_id: string;
    reason: string;
    snapshot: string;
    /** 0 open, 1 removed, 2 kept. */
    status: number;
    resolved_by: string | null;
    resolution: string;
    created_at: number;
  };
  /** Square admins granted on the command line (besides square.adminUserIds). */
  square_admins: { user_id: string; created_at: number };
  square_keywords: { word: string; created_at: number };
  square_notices: {
    id: string;
    user_id: string;
    kind: number;
    thread_id: string;
    post_id: string;
    actor_id: string;
    text: string;
    removed: number;
    created_at: number;
  };
  square_readers: { user_id: string; notices_read_id: string };
}

/** A file of a post as stored: the media service's description of it. */
export interface StoredMedia {
  id: string;
  kind: number;
  mime: string;
  width: number;
  height: number;
  placeholder: string;
  thumb: boolean;
}

export const REPORT_OPEN = 0;
export const REPORT_REMOVED = 1;
export const REPORT_KEPT = 2;
