import type { Conversation, MyChatClient } from '@mychat/sdk';
import { watch } from 'vue';

/** How long typing pauses before a draft goes to the server. */
const SAVE_AFTER_MS = 800;

/**
 * Keeps the chat's drafts (what the composer holds per conversation) on the server, so they
 * survive a reload and follow the user to their other devices: a local edit is saved shortly
 * after typing pauses; a newer draft from another device (a `conversation` event, or the
 * conversations at start) replaces the local one. Last writer wins by the edit time.
 */
export function startDraftSync(
  client: MyChatClient,
  drafts: Record<string, string>,
  conversations: () => Iterable<Conversation>,
): void {
  /** When each draft last changed, here or on the server (epoch ms). */
  const at = new Map<string, number>();
  /** The text last agreed with the server, so a server echo is not saved back. */
  const synced = new Map<string, string>();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();

  function fromServer(c: Conversation) {
    const text = c.draft?.text ?? '';
    const when = c.draft?.updatedAt ?? 0;
    const local = drafts[c.id] ?? '';
    if (text === local) {
      synced.set(c.id, text);
      return;
    }
    // A local edit newer than the server's draft, or one not yet saved, wins.
    if ((at.get(c.id) ?? 0) > when || timers.has(c.id)) return;
    // No draft on the server: one never saved (an old tab) stays as it is.
    if (!c.draft && !synced.has(c.id)) return;
    synced.set(c.id, text);
    at.set(c.id, when);
    if (text) drafts[c.id] = text;
    else delete drafts[c.id];
  }

  for (const c of conversations()) fromServer(c);
  client.on('conversation', fromServer);

  watch(
    () => ({ ...drafts }),
    (now, before) => {
      for (const id of new Set([...Object.keys(now), ...Object.keys(before)])) {
        const text = now[id] ?? '';
        if (text === (before[id] ?? '') || text === (synced.get(id) ?? '')) continue;
        // After anything seen of this draft, even from a device whose clock runs ahead.
        at.set(id, Math.max(Date.now(), (at.get(id) ?? 0) + 1));
        clearTimeout(timers.get(id));
        timers.set(
          id,
          setTimeout(() => {
            timers.delete(id);
            const value = drafts[id] ?? '';
            synced.set(id, value);
            client.records.setDraft(id, value, at.get(id)).catch(() => synced.delete(id));
          }, SAVE_AFTER_MS),
        );
      }
    },
  );
}
