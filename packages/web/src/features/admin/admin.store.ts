import { AdminApi, type ConsoleRole } from '@mychat/sdk/admin';
import { MyChatError } from '@mychat/sdk';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { sdkClient } from '../../sdk/current-client.js';

/**
 * The operator's console: the SDK's AdminApi (loaded only with these pages), the caller's role
 * and the step-up. A destructive action that needs the password again asks for it once
 * (`stepUpAsked`), then runs again.
 */
export const useAdminStore = defineStore('admin', () => {
  const client = sdkClient();
  const api = new AdminApi(client);
  const role = ref<ConsoleRole | 'refused' | 'unknown'>('unknown');
  const stepUpUntil = ref(0);
  /** Set while an action waits for the password: the page shows the dialog. */
  const stepUpAsked = ref<((ok: boolean) => void) | undefined>();

  async function load(): Promise<void> {
    try {
      const a = await api.access();
      role.value = a.role;
      stepUpUntil.value = a.stepUpUntil;
    } catch (e) {
      if (e instanceof MyChatError && (e.reason === 'ADMIN_REQUIRED' || e.reason === 'NOT_FOUND')) {
        role.value = 'refused';
        return;
      }
      throw e;
    }
  }

  async function confirm(password: string): Promise<void> {
    stepUpUntil.value = await api.confirmPassword(password);
  }

  /**
   * Runs a destructive action; when the server asks for the password again, waits for the
   * dialog (confirm above) and runs it once more.
   */
  async function destructive<T>(fn: (a: AdminApi) => Promise<T>): Promise<T | undefined> {
    try {
      return await fn(api);
    } catch (e) {
      if (!(e instanceof MyChatError) || e.reason !== 'STEP_UP_REQUIRED') throw e;
      const ok = await new Promise<boolean>((resolve) => (stepUpAsked.value = resolve));
      stepUpAsked.value = undefined;
      return ok ? fn(api) : undefined;
    }
  }

  /** The installed sticker packs (the list every user's sticker tab reads). */
  const stickerPacks = async () => (await client.stickers.list()).packs;
  /** An ordinary image upload (a pack is made of the admin's own uploads); its media id. */
  const uploadImage = async (f: File) => (await client.media.upload(f, { name: f.name, kind: 'image' })).id;

  return { api, role, stickerPacks, uploadImage, stepUpUntil, stepUpAsked, load, confirm, destructive };
});
