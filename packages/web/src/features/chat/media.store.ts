import type { ChatMessage, Media, MediaKind, MediaVariant } from '@mychat/sdk';
import { defineStore } from 'pinia';
import { reactive } from 'vue';
import { errorText } from '../../lib/errors.js';
import { sdkClient } from '../../sdk/current-client.js';

/** A file on its way: uploading (with progress), then sent as a message; or failed. */
export interface UploadItem {
  key: string;
  conversationId: string;
  name: string;
  kind: MediaKind;
  size: number;
  sent: number;
  state: 'uploading' | 'sending' | 'failed';
  error?: string;
  /** An object URL for images, to show while they upload. */
  previewUrl?: string;
  ctl: AbortController;
}

/** What the person picked: a file and what to send it as. */
/** The message a file was seen in (seq 0: not stored yet, so it is the user's own file). */
export interface MessageAt {
  conversationId: string;
  seq: number;
}

/** Where the URLs of files seen outside a chat come from (a moment's files). */
export type UrlSource = (mediaId: string, variant: MediaVariant, fresh: boolean) => Promise<string>;

export interface Attachment {
  blob: Blob;
  name: string;
  kind: MediaKind;
  /** Videos: the part to send (the server cuts it), else the whole clip. */
  trim?: { startMs: number; endMs: number } | undefined;
}

/** Only what is sent of a picked file (not its preview). */
export const attachmentOf = ({ blob, name, kind, trim }: Attachment): Attachment => ({
  blob,
  name,
  kind,
  ...(trim && { trim }),
});

const MAX_IMAGES = 9;
/** Ask for a new URL this long before the old one expires. */
const URL_MARGIN_MS = 30_000;

/** Uploads and media messages, and the short-lived download URLs the message list shows. */
export const useMediaStore = defineStore('media', () => {
  const client = sdkClient();
  const uploads = reactive<Record<string, UploadItem[]>>({});
  const urls = new Map<string, Promise<{ url: string; expiresAt: number }>>();

  function add(conversationId: string, a: Attachment): UploadItem {
    const item: UploadItem = reactive({
      key: crypto.randomUUID(),
      conversationId,
      name: a.name,
      kind: a.kind,
      size: a.blob.size,
      sent: 0,
      state: 'uploading',
      ctl: new AbortController(),
      ...(a.kind === 'image' && { previewUrl: URL.createObjectURL(a.blob) }),
    });
    (uploads[conversationId] ??= []).push(item);
    return item;
  }

  function remove(item: UploadItem) {
    const list = uploads[item.conversationId];
    const i = list?.indexOf(item) ?? -1;
    if (i >= 0) list!.splice(i, 1);
    if (item.previewUrl) URL.revokeObjectURL(item.previewUrl);
  }

  function fail(item: UploadItem, err: unknown) {
    if (item.ctl.signal.aborted) return remove(item);
    item.state = 'failed';
    item.error = errorText(err);
  }

  async function upload(item: UploadItem, a: Attachment) {
    const m = await client.media.upload(a.blob, {
      name: a.name,
      kind: a.kind,
      signal: item.ctl.signal,
      onProgress: (sent) => (item.sent = sent),
    });
    item.state = 'sending';
    return m;
  }

  /** A video the browser may not play is transcoded first; a trimmed one is then cut on the server. */
  async function readyVideo(m: Media, a: Attachment, signal: AbortSignal): Promise<Media> {
    const ready = m.status === 'ready' ? m : await client.media.whenReady(m.id, { signal });
    if (!a.trim) return ready;
    const cut = await client.media.trimVideo(ready.id, a.trim.startMs, a.trim.endMs);
    return client.media.whenReady(cut.id, { signal });
  }

  /**
   * Uploads what was picked and sends it: images together (a grid of up to 9 per message),
   * everything else one message each. Every item shows its progress and can be cancelled.
   */
  async function send(conversationId: string, attachments: Attachment[]): Promise<void> {
    const images = attachments.filter((a) => a.kind === 'image');
    const others = attachments.filter((a) => a.kind !== 'image');
    const jobs: Promise<void>[] = [];
    for (let i = 0; i < images.length; i += MAX_IMAGES) {
      const batch = images.slice(i, i + MAX_IMAGES).map((a) => ({ a, item: add(conversationId, a) }));
      jobs.push(
        (async () => {
          const done = await Promise.all(
            batch.map(({ a, item }) =>
              upload(item, a).then(
                (m) => m,
                (e: unknown) => void fail(item, e),
              ),
            ),
          );
          const ok = batch.filter((_, j) => done[j]);
          if (!ok.length) return;
          try {
            await client.messages.sendImages(
              conversationId,
              done.filter((m) => m !== undefined),
            );
            ok.forEach(({ item }) => remove(item));
          } catch (e) {
            ok.forEach(({ item }) => fail(item, e));
          }
        })(),
      );
    }
    for (const a of others) {
      const item = add(conversationId, a);
      jobs.push(
        (async () => {
          try {
            const m = await upload(item, a);
            if (a.kind === 'voice') await client.messages.sendVoice(conversationId, m);
            else if (a.kind === 'video')
              await client.messages.sendVideo(conversationId, await readyVideo(m, a, item.ctl.signal));
            else await client.messages.sendFile(conversationId, m, { name: a.name });
            remove(item);
          } catch (e) {
            fail(item, e);
          }
        })(),
      );
    }
    await Promise.all(jobs);
  }

  /** Stops an upload (the server deletes what it got) and takes it off the list. */
  function cancel(item: UploadItem) {
    if (item.state === 'uploading') item.ctl.abort();
    remove(item);
  }

  /**
   * A URL for a file, cached until shortly before it expires (`fresh`: ask again anyway).
   * `from` names the message the file was seen in: the server checks the user sees it.
   */
  async function url(
    mediaId: string,
    variant: MediaVariant = 'original',
    opts: { download?: boolean; fresh?: boolean; from?: MessageAt } = {},
  ): Promise<string> {
    const download = opts.download ?? false;
    const from = opts.from?.seq ? opts.from : undefined;
    const key = `${mediaId}:${variant}:${download}:${from ? `${from.conversationId}/${from.seq}` : ''}`;
    let p = urls.get(key);
    const cached = p && (await p.catch(() => undefined));
    if (opts.fresh || !cached || cached.expiresAt - Date.now() < URL_MARGIN_MS) {
      p = client.media.downloadUrl(mediaId, { variant, download, ...from });
      urls.set(key, p);
      p.catch(() => urls.delete(key));
    }
    return (await p!).url;
  }

  /** Sends a copy of a message to another conversation (files are not uploaded again). */
  function forward(m: ChatMessage, toConversationId: string): Promise<ChatMessage> {
    return client.messages.forward(m, toConversationId);
  }

  return { uploads, send, cancel, remove, url, forward };
});
