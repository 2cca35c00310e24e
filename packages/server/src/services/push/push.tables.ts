/** Row shapes of the push module's tables (see push.migrations.ts). */
export interface PushTables {
  push_subscriptions: {
    id: string;
    user_id: string;
    session_id: string;
    client_type: string;
    device_name: string;
    /** SHA-256 of the endpoint, hex: the unique key (an endpoint is too long to index on MySQL). */
    endpoint_hash: string;
    endpoint: string;
    p256dh: string;
    auth: string;
    created_at: number;
    last_ok_at: number;
    failures: number;
  };
  push_settings: {
    user_id: string;
    preview: number;
    dnd_enabled: number;
    dnd_start: number;
    dnd_end: number;
    time_zone: string;
    updated_at: number;
  };
  push_held: {
    user_id: string;
    topic: string;
    payload: string;
    urgency: string;
    release_at: number;
    created_at: number;
  };
}
