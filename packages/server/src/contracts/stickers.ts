/**
 * How a sticker's file is held in media (表情包): a grant with this marker as its
 * `client_msg_id` (no client message id can spell '#'), the sticker or the pack in
 * `conv_id`, and the user (a user's sticker) or the pack again (a pack) in `sender_id`.
 * The message module sends a pack's sticker with the pack's grant as AttachMedia's `via`.
 */
export const STICKER_HOLD = '#sticker';

/** The largest image a sticker may be. */
export const STICKER_MAX_BYTES = 1024 * 1024;

/** The `via` of AttachMedia for a sticker of pack `packId`. */
export const packVia = (packId: string) => ({
  conversationId: packId,
  senderId: packId,
  clientMsgId: STICKER_HOLD,
});
