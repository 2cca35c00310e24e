import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { admin } from '@mychat/protocol';

/**
 * The bus channel on which the square announces a report of one of its posts (an
 * admin.v1.FileReportRequest with kind `square_post` and source_id, the square's report id).
 * The admin service files it into the console's reports queue; the square cannot call the
 * admin service, which calls it.
 */
export const SQUARE_REPORT_CHANNEL = 'square:report-filed';

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
