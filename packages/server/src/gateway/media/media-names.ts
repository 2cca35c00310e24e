/** A client file name as kept in upload metadata: its last path part, printable, at most 200 characters. */
export function cleanNameForMetadata(name: string): string {
  return (
    (name.split(/[\\/]/).pop() ?? '')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f]/g, '')
      .slice(0, 200)
  );
}
