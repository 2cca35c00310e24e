import type { message as pb } from '@mychat/protocol';
import { AppError, ErrorCode } from '../../kernel/errors.js';
import { isId } from '../../kernel/ids.js';
import { CONV_ENCRYPTED, type ConversationRow } from './message.tables.js';

/** Longest ciphertext of one encrypted message: an 8 KiB text or a file's keys, sealed. */
export const MAX_CIPHERTEXT_BYTES = 16 * 1024;
/** Most wrapped keys in one message: every device of both people, their backup keys included. */
export const MAX_WRAPPED_KEYS = 64;
const DEVICE_ID = /^(?:[0-9a-f]{32}|backup)$/;

const badKey = (message: string, field: string) =>
  new AppError(ErrorCode.E2EE_BAD_KEY, message, { field: `content.encrypted.${field}` });

/**
 * The shape of an encrypted message (docs/security.md, section 3): sizes only, the server
 * cannot open it. Refuses what no client of version 1 makes, so nothing else is stored.
 */
export function checkEncrypted(e: pb.EncryptedContent): void {
  if (e.version !== 1) throw badKey('only version 1 is known', 'version');
  if (e.ciphertext.length < 16 || e.ciphertext.length > MAX_CIPHERTEXT_BYTES)
    throw badKey(`the ciphertext is 16-${MAX_CIPHERTEXT_BYTES} bytes`, 'ciphertext');
  if (e.nonce.length !== 12) throw badKey('the nonce is 12 bytes', 'nonce');
  if (e.ephemeralKey.length !== 32) throw badKey('the ephemeral key is 32 bytes', 'ephemeralKey');
  if (!DEVICE_ID.test(e.senderDeviceId) || e.senderDeviceId === 'backup')
    throw badKey('senderDeviceId is 32 hex characters', 'senderDeviceId');
  if (e.keys.length < 1 || e.keys.length > MAX_WRAPPED_KEYS)
    throw badKey(`1-${MAX_WRAPPED_KEYS} wrapped keys`, 'keys');
  for (const k of e.keys) {
    if (!isId(k.userId)) throw badKey('a wrapped key names no user', 'keys.userId');
    if (!DEVICE_ID.test(k.deviceId)) throw badKey('a wrapped key names no device', 'keys.deviceId');
    if (k.wrapped.length !== 48) throw badKey('a wrapped key is 48 bytes', 'keys.wrapped');
  }
}

/**
 * Nothing in plaintext inside an encrypted chat, and no encrypted content outside one: a
 * client that lost its keys cannot fall back to plaintext silently.
 */
export function checkEncryption(conv: ConversationRow, content: pb.MessageContent): void {
  const encrypted = content.body.case === 'encrypted';
  if (conv.type === CONV_ENCRYPTED && !encrypted)
    throw new AppError(
      ErrorCode.E2EE_PLAINTEXT_REFUSED,
      'this is an encrypted chat: only encrypted messages are accepted',
      { field: 'content' },
    );
  if (conv.type !== CONV_ENCRYPTED && encrypted)
    throw new AppError(ErrorCode.E2EE_NOT_ENCRYPTED_CHAT, 'encrypted content belongs in an encrypted chat', {
      field: 'content',
    });
}

/** For edits, reactions, pins and drafts: they would put content on the server in plaintext. */
export function refuseInEncrypted(conv: ConversationRow, what: string): void {
  if (conv.type === CONV_ENCRYPTED)
    throw new AppError(ErrorCode.E2EE_NOT_AVAILABLE, `${what} are not available in an encrypted chat`);
}

/** An encrypted-chat device's id as a reader names it (never `backup`). */
export const READER_DEVICE_ID = /^[0-9a-f]{32}$/;

/**
 * A history page's encrypted message for one reader's device (GetHistoryRequest.e2ee_device_id):
 * only the wrapped keys that device can use, the ones addressed to the reader's device of this
 * id and to the reader's backup key; the others (the peer's devices, the reader's other
 * devices) are left out. Changes `m` in place; other content is left alone.
 */
export function keepWrapsFor(m: pb.Message, userId: string, deviceId: string): pb.Message {
  const body = m.content?.body;
  if (body?.case === 'encrypted')
    body.value.keys = body.value.keys.filter(
      (k) => k.userId === userId && (k.deviceId === deviceId || k.deviceId === 'backup'),
    );
  return m;
}

/**
 * A history page's encrypted message the reader keeps opened (GetHistoryRequest.e2ee_kept): its
 * ciphertext, ephemeral key and wrapped keys left out; the version, nonce, sender device and
 * files stay (the reader matches what it kept against them). Changes `m` in place.
 */
export function leaveOutKept(m: pb.Message, kept: { fromSeq: number; toSeq: number }): pb.Message {
  const body = m.content?.body;
  if (body?.case === 'encrypted' && !m.recalled && m.seq >= kept.fromSeq && m.seq <= kept.toSeq)
    Object.assign(body.value, { ciphertext: new Uint8Array(0), ephemeralKey: new Uint8Array(0), keys: [] });
  return m;
}
