/** Row shapes of the keys service's tables (see keys.migrations.ts). Keys are base64. */
export interface KeysTables {
  keys_identities: { user_id: string; identity_key: string; updated_at: number };
  keys_devices: {
    user_id: string;
    device_id: string;
    public_key: string;
    signature: string;
    created_at: number;
    /** Set when the device was removed: kept so that its key is never taken again. */
    removed_at: number | null;
  };
  keys_backups: { user_id: string; data: string; updated_at: number };
}
