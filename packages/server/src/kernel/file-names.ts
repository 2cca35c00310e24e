/**
 * Characters a file name never keeps: C0 and C1 controls, DEL, the line and paragraph
 * separators, and every bidirectional formatting character (embeddings, overrides, isolates
 * and the invisible marks). An override such as U+202E makes "invoice\u202Efdp.exe" look
 * like "invoiceexe.pdf" in a chat, so a name is shown as the characters it really has.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE_IN_NAMES = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/** `name` without control or bidi formatting characters (see UNSAFE_IN_NAMES). */
export function stripUnsafeNameChars(name: string): string {
  return name.replace(UNSAFE_IN_NAMES, '');
}
