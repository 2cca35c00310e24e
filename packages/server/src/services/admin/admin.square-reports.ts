import type { BusSubscription } from '../../adapters/bus/bus.js';
import { decodeSquareReport, SQUARE_REPORT_CHANNEL } from '../../contracts/square-report.js';
import type { AdminParts } from './admin.peers.js';
import { fileRequest, type Reports } from './admin.reports.rpc.js';

/**
 * The square's reports into the console's queue: the square announces each on the bus (it
 * cannot call the admin service, which calls it) and every admin process files it, once
 * whatever the number of deliveries (the square's report id is the console's). The author's
 * nickname is looked up for the snapshot. One lost while no admin process listened stays in
 * the square's own queue, for the board's moderators.
 */
export function ingestSquareReports(p: AdminParts, reports: Reports): Promise<BusSubscription> {
  return p.bus.subscribe(SQUARE_REPORT_CHANNEL, (bytes) => {
    const r = decodeSquareReport(bytes);
    if (!r) return;
    void (async () => {
      const authorId = r.snapshot?.authorId ?? '';
      const author = authorId
        ? (await p.peers.auth.directory.lookupUsers({ userIds: [authorId] })).users[0]
        : undefined;
      if (r.snapshot && author) r.snapshot.authorNickname = author.nickname;
      await fileRequest(reports, r);
    })().catch((err: unknown) =>
      p.logger.warn({ err, report_id: r.sourceId }, 'square report not filed in the console'),
    );
  });
}
