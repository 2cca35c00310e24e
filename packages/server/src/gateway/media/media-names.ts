import { stripUnsafeNameChars } from '../../kernel/file-names.js';

/** A client file name as kept in upload metadata: its last path part, printable, at most 200 characters. */
export function cleanNameForMetadata(name: string): string {
  return stripUnsafeNameChars(name.split(/[\\/]/).pop() ?? '').slice(0, 200);
}
