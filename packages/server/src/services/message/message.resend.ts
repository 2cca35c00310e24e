import type { message as pb } from '@mychat/protocol';
import { mediaOf } from './message.media.js';
import type { MessageRow } from './message.tables.js';
import { decodeContent } from './message.views.js';

/**
 * Whether `content`, sent under a client_msg_id the sender already used, is a resend of the
 * stored message `prior` (the same kind, text, and files) rather than a new message that
 * reuses the id. Answering a new message with the old one as a duplicate would tell the
 * client it was sent while its text is silently dropped, so only a true resend may be.
 *
 * Media messages are compared by file ids: the stored content's file details were rewritten
 * by the server, so an honest retry differs from it there. A recalled message has lost its
 * content; any resend of it gets it back as it is now (recalled).
 */
export function isResendOf(prior: MessageRow, content: pb.MessageContent): boolean {
  if (prior.recalledAt !== null) return true;
  const stored = decodeContent(prior.content).body;
  const sent = content.body;
  if (stored.case !== sent.case) return false;
  if (sent.case === 'text') return stored.case === 'text' && stored.value.text === sent.value.text;
  // Encrypted: the same ciphertext (a retry re-sends the sealed bytes as they were).
  if (
    sent.case === 'encrypted' &&
    !(stored.case === 'encrypted' && Buffer.from(stored.value.ciphertext).equals(sent.value.ciphertext))
  )
    return false;
  const a = mediaOf(stored)?.mediaIds ?? [];
  const b = mediaOf(sent)?.mediaIds ?? [];
  return a.length === b.length && a.every((id, i) => id === b[i]);
}
