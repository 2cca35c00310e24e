import type { ChatStore } from './chat-store.js';
import type { ChatMessage, Conversation } from './types.js';

/** Reactions, edits and link previews: they change another message, count no unread, are not previewed. */
export const isSilent = (m: ChatMessage) =>
  m.content.type === 'reaction' || m.content.type === 'edit' || m.content.type === 'linkPreview';

/**
 * Applies the events among `msgs` (recall, reaction, edit, link preview) to the messages they
 * name: those among `msgs` in place, others read from the store. Returns the stored messages it changed
 * (to be stored again). Each event sets a state (a tombstone, the counts after the reaction,
 * the new text, the preview), so applying one twice changes nothing.
 */
export async function applyEvents(
  store: ChatStore,
  conversationId: string,
  msgs: readonly ChatMessage[],
  me: string | undefined,
): Promise<ChatMessage[]> {
  const touched = new Map<number, ChatMessage>();
  for (const m of msgs) {
    const c = m.content;
    if (c.type !== 'recall' && c.type !== 'reaction' && c.type !== 'edit' && c.type !== 'linkPreview')
      continue;
    const target =
      msgs.find((x) => x.seq === c.seq) ??
      touched.get(c.seq) ??
      (await store.getMessage(conversationId, c.seq));
    if (!target || target.recalled) continue;
    if (c.type === 'recall') {
      target.recalled = true;
      target.content = { type: 'empty' };
      delete target.reactions;
      delete target.editedAt;
      delete target.linkPreview;
    } else if (c.type === 'reaction') {
      const mine = new Map((target.reactions ?? []).map((r) => [r.emoji, r.mine]));
      const reactions = c.counts.map((r) => ({
        emoji: r.emoji,
        count: r.count,
        mine: r.emoji === c.emoji && m.senderId === me ? !c.remove : (mine.get(r.emoji) ?? false),
      }));
      if (reactions.length) target.reactions = reactions;
      else delete target.reactions;
    } else if (c.type === 'linkPreview') {
      if (!c.preview || target.hidden || target.linkPreview) continue;
      target.linkPreview = c.preview;
    } else {
      // No text: the server left it out, as this reader may not read the message it names.
      if (target.content.type !== 'text' || !c.text) continue;
      target.content = { type: 'text', text: c.text };
      target.editedAt = m.createdAt;
    }
    if (!msgs.includes(target)) touched.set(target.seq, target);
  }
  return [...touched.values()];
}

/** Pins, unpins and recalls among `msgs` moved the conversation's pinned bar. */
export function applyPins(conv: Conversation, msgs: readonly ChatMessage[]): void {
  for (const m of msgs) {
    const c = m.content;
    if (c.type !== 'pin' && c.type !== 'recall') continue;
    const rest = (conv.pinnedSeqs ?? []).filter((s) => s !== c.seq);
    conv.pinnedSeqs = c.type === 'pin' && !c.unpin ? [c.seq, ...rest] : rest;
  }
}
