import type { ChatMessage, DriveEntry, DriveQuota } from '@mychat/sdk';
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { sdkClient } from '../../sdk/current-client.js';

/** An upload in progress (one at a time per file picked). */
export interface DriveUpload {
  id: number;
  name: string;
  percent: number;
}

/** "My files": wraps client.drive (folders, files, quota) and client.media.upload. */
export const useDriveStore = defineStore('drive', () => {
  const client = sdkClient();
  const folderId = ref('');
  const entries = shallowRef<DriveEntry[]>([]);
  const path = shallowRef<DriveEntry[]>([]);
  const quota = shallowRef<DriveQuota | null>(null);
  const loading = ref(false);
  const uploads = shallowRef<DriveUpload[]>([]);
  let uploadIds = 0;

  /** Shows a folder ("" = the root). Rejects (MyChatError) when it cannot be listed. */
  async function load(id = folderId.value) {
    loading.value = true;
    try {
      const r = await client.drive.list(id);
      folderId.value = id;
      entries.value = r.entries;
      path.value = r.path;
    } finally {
      loading.value = false;
    }
    void refreshQuota();
  }

  async function refreshQuota() {
    quota.value = await client.drive.quota().catch(() => quota.value);
  }

  async function createFolder(name: string) {
    await client.drive.createFolder(name, folderId.value);
    await load();
  }

  async function rename(entry: DriveEntry, name: string) {
    await client.drive.rename(entry.id, name);
    await load();
  }

  async function move(entry: DriveEntry, parentId: string) {
    await client.drive.move(entry.id, parentId);
    await load();
  }

  async function remove(entry: DriveEntry) {
    await client.drive.delete(entry.id);
    await load();
  }

  /** Uploads files into the folder on show; each shows its progress until done. */
  async function upload(files: File[]) {
    const into = folderId.value || 'root';
    for (const file of files) {
      // Matched by id: the list holds reactive copies, never the object pushed.
      const id = ++uploadIds;
      uploads.value = [...uploads.value, { id, name: file.name, percent: 0 }];
      try {
        await client.media.upload(file, {
          name: file.name,
          folder: into,
          onProgress: (sent, total) => {
            const percent = total ? Math.round((sent / total) * 100) : 100;
            uploads.value = uploads.value.map((u) => (u.id === id ? { ...u, percent } : u));
          },
        });
      } finally {
        uploads.value = uploads.value.filter((u) => u.id !== id);
      }
    }
    await load();
  }

  /** Sends a kept file to a conversation as a file (or image) message, without uploading it again. */
  async function sendToChat(entry: DriveEntry, conversationId: string): Promise<ChatMessage> {
    const f = entry.file;
    if (!f) throw new Error('folders cannot be sent');
    return f.kind === 'image'
      ? client.messages.sendImages(conversationId, [f.mediaId])
      : client.messages.sendFile(conversationId, f.mediaId, { name: entry.name });
  }

  /**
   * Keeps a file seen in a chat (anyone's, e.g. in File transfer) in the root of My files;
   * `at` is the message that carries it, which the server checks the user sees.
   */
  async function save(at: { conversationId: string; seq: number }, mediaId: string, name: string) {
    const e = await client.drive.saveAttachment(at, mediaId, '', name);
    if (folderId.value === '') await load('').catch(() => undefined);
    return e;
  }

  /** Subfolders of a folder, for the folder picker. */
  async function folders(id: string) {
    const r = await client.drive.list(id);
    return { folders: r.entries.filter((e) => e.isFolder), path: r.path };
  }

  /** A short-lived link that downloads the file under its name. */
  function downloadUrl(entry: DriveEntry) {
    return client.media.downloadUrl(entry.file!.mediaId, { download: true });
  }

  return {
    folderId,
    entries,
    path,
    quota,
    loading,
    uploads,
    load,
    refreshQuota,
    createFolder,
    rename,
    move,
    remove,
    upload,
    sendToChat,
    save,
    folders,
    downloadUrl,
  };
});
