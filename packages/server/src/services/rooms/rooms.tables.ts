/** Row shapes of the rooms service's tables (see rooms.migrations.ts). */
export interface RoomsTables {
  rooms_rooms: {
    id: string;
    conversation_id: string;
    creator_id: string;
    client_msg_id: string;
    title: string;
    host_id: string;
    /** mychat.rooms.v1.RoomMode. */
    mode: number;
    /** The queue entry playing or paused; 0 for none. */
    entry_id: string;
    playing: number;
    position_ms: number;
    at_server_ms: number;
    /** The playback rate in thousandths (1000 = 1.0). */
    rate_milli: number;
    /** 1 once the current state waited for a buffering member (once per command). */
    held: number;
    version: number;
    created_at: number;
    /** Since when the room has had no member; null while it has some. */
    empty_since: number | null;
    closed_at: number | null;
  };
  rooms_members: {
    room_id: string;
    user_id: string;
    joined_at: number;
    delay_ms: number;
    /** mychat.rooms.v1.ListenState the member's player reported last. */
    listening: number;
  };
  rooms_queue: {
    id: string;
    room_id: string;
    media_id: string;
    added_by: string;
    title: string;
    artist: string;
    mime: string;
    duration_ms: number;
    ord: number;
  };
}
