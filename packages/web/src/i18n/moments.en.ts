/** Error texts of the moments calls (spread into errors). */
export const momentsErrors = {
  MOMENT_EMPTY: 'Write something or add a photo or video.',
  MOMENT_TOO_MANY_MEDIA: 'A moment takes up to 9 photos, or one video.',
  MOMENT_ALREADY_LIKED: 'You already like this.',
  MOMENT_TOO_MANY_MENTIONS: 'You can remind up to 10 friends.',
  MOMENT_TOO_MANY_COMMENTS: 'This moment cannot take more comments.',
};
