import { create } from '@bufbuild/protobuf';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import type { Client } from '@connectrpc/connect';
import { media, search as pb } from '@mychat/protocol';
import { callHeaders, type Caller } from '../../rpc/call-context.js';
import { matches, parseQuery, snippet } from './search.text.js';

/** Folders of one drive walked per search (a drive with more is searched in its first ones). */
const MAX_FOLDERS = 200;

type MediaClient = Pick<Client<typeof media.MediaService>, 'listDrive'>;

const KIND: Record<number, pb.FileKind> = {
  [media.MediaKind.IMAGE]: pb.FileKind.IMAGE,
  [media.MediaKind.VIDEO]: pb.FileKind.VIDEO,
  [media.MediaKind.FILE]: pb.FileKind.FILE,
  [media.MediaKind.VOICE]: pb.FileKind.FILE,
};

/**
 * The caller's own drive ("My files") by name and kind, listed through the media service on
 * the caller's behalf, folder by folder from the root.
 */
export class DriveSearch {
  constructor(private readonly d: { media: MediaClient }) {}

  async search(
    caller: Caller,
    requestId: string,
    query: string,
    kind: pb.FileKind,
    limit: number,
  ): Promise<pb.DriveFileHit[]> {
    const opts = { headers: callHeaders({ caller, requestId }) };
    const q = parseQuery(query);
    const all = query.trim() === '';
    const hits: pb.DriveFileHit[] = [];
    const folders = [''];
    for (let i = 0; i < folders.length && i < MAX_FOLDERS; i++) {
      const { entries } = await this.d.media.listDrive({ folderId: folders[i]! }, opts);
      for (const e of entries) {
        if (e.isFolder) {
          folders.push(e.id);
          continue;
        }
        const k = KIND[e.media?.kind ?? media.MediaKind.FILE] ?? pb.FileKind.FILE;
        if (kind !== pb.FileKind.UNSPECIFIED && k !== kind) continue;
        if (!all && !matches(q, e.name)) continue;
        const ranges = all ? [] : snippet(q, e.name, 1000).ranges;
        hits.push(
          create(pb.DriveFileHitSchema, {
            entry: e,
            kind: k,
            highlights: ranges.map(([start, end]) => ({ start, end })),
          }),
        );
      }
    }
    const at = (h: pb.DriveFileHit) => (h.entry?.updatedAt ? timestampMs(h.entry.updatedAt) : 0);
    return hits.sort((a, b) => at(b) - at(a)).slice(0, limit);
  }
}
