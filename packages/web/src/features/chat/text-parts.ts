import type { ChatMessage } from '@mychat/sdk';

export interface TextPart {
  kind: 'text' | 'mention' | 'link';
  value: string;
}

/** Text split into plain parts, @mentions and links (rendered as text: never as HTML). */
export function textParts(text: string): TextPart[] {
  const out: TextPart[] = [];
  const re = /(https?:\/\/[^\s<>"]+)|(@[^\s@]{1,32})/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) out.push({ kind: 'text', value: text.slice(last, m.index) });
    out.push({ kind: m[1] ? 'link' : 'mention', value: m[0] });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push({ kind: 'text', value: text.slice(last) });
  return out;
}

const MEDIA = ['image', 'voice', 'video', 'file'];

/** The line a reply shows of the message it quotes: "Name: text" ("…" while it is not loaded). */
export function quoteLine(
  q: ChatMessage | undefined,
  nameOf: (id: string) => string,
  t: (key: string, args?: Record<string, unknown>) => string,
): string {
  if (!q) return '…';
  const who = nameOf(q.senderId) || t('common.unknownUser');
  const body = q.recalled
    ? t('chat.recalled', { name: who })
    : q.content.type === 'text'
      ? q.content.text
      : MEDIA.includes(q.content.type)
        ? t(`chat.${q.content.type}`)
        : q.content.type === 'sticker'
          ? t('stickers.sticker')
          : t('chat.unsupported');
  return `${who}: ${body}`;
}
