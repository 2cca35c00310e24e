import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { admin } from '@mychat/protocol';

/**
 * The bus channel on which the square announces a report of one of its posts (an
 * admin.v1.FileReportRequest with kind `square_post` and source_id, the square's report id).
 * The admin service files it into the console's reports queue; the square cannot call the
 * admin service, which calls it. The announcement is a hint: a lost one is filed when the
 * console next catches up (SquareInternalService.ListReportsForConsole).
 */
export const SQUARE_REPORT_CHANNEL = 'square:report-filed';

/** What the square keeps of a report, as the console files it (bus announcement or catch-up). */
export interface SquareReportFacts {
  id: string;
  postId: string;
  threadId: string;
  boardId: string;
  reporterId: string;
  authorId: string;
  reason: string;
  snapshot: string;
}

/** A square report as the console's FileReportRequest (kind `square_post`, the square's id as source id). */
export function squareReportRequest(
  r: SquareReportFacts,
  postCreatedAtMs: number,
): MessageInitShape<typeof admin.FileReportRequestSchema> {
  return {
    kind: 'square_post',
    targetId: r.postId,
    reporterId: r.reporterId,
    reason: r.reason,
    sourceId: r.id,
    snapshot: {
      authorId: r.authorId,
      text: r.snapshot,
      detail: `thread ${r.threadId} on board ${r.boardId}`,
      ...(postCreatedAtMs > 0 && { createdAt: timestampFromMs(postCreatedAtMs) }),
    },
  };
}

export function encodeSquareReport(r: MessageInitShape<typeof admin.FileReportRequestSchema>): Uint8Array {
  return toBinary(admin.FileReportRequestSchema, create(admin.FileReportRequestSchema, r));
}

/** The report off the bus, or undefined when it is undecodable or has no source id. */
export function decodeSquareReport(bytes: Uint8Array): admin.FileReportRequest | undefined {
  try {
    const r = fromBinary(admin.FileReportRequestSchema, bytes);
    return r.sourceId && r.kind === 'square_post' ? r : undefined;
  } catch {
    return undefined;
  }
}
