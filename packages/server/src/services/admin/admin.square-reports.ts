import { create } from '@bufbuild/protobuf';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { admin as adminpb } from '@mychat/protocol';
import type { BusSubscription } from '../../adapters/bus/bus.js';
import {
  decodeSquareReport,
  SQUARE_REPORT_CHANNEL,
  squareReportRequest,
} from '../../contracts/square-report.js';
import { AppError, ErrorCode } from '../../kernel/errors.js';
import { ID_EPOCH_MS, idTime } from '../../kernel/ids.js';
import type { AdminParts } from './admin.peers.js';
import { fileRequest, type Reports } from './admin.reports.rpc.js';

/** Reports asked of the square per call. */
const PAGE = 500;
/**
 * Each catch-up reads again the reports of the last minute before its cursor: ids come from
 * every square process's clock, so one committed a moment late may sort below the cursor.
 * Filing is idempotent (the square's report id is the console's), so a re-read costs a lookup.
 */
export const HOLD_BACK_MS = 60_000;

/** The smallest id made at `ms` (ids sort by time: kernel/ids.ts). */
const firstIdAt = (ms: number): string => (BigInt(Math.max(0, ms - ID_EPOCH_MS)) << 22n).toString();

/** Where a catch-up starts reading: `HOLD_BACK_MS` before the stored cursor. */
export function readFrom(cursor: string): string {
  if (!cursor) return '';
  const from = firstIdAt(idTime(cursor) - HOLD_BACK_MS);
  return from === '0' ? '' : from;
}

/**
 * The square's reports into the console's queue. The square announces each on the bus (it
 * cannot call the admin service, which calls it); the announcement is only a hint: on it, at
 * start and every `admin.squareReportsPollSeconds`, the console reads the square's reports
 * after its cursor (SquareInternalService.ListReportsForConsole) and files each still open one
 * it lacks, once whatever the number of admin processes (the square's report id is the
 * console's). So a report announced while no admin process listened is not lost. The author's
 * nickname is looked up for the snapshot.
 */
export class SquareReportsCatchUp {
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private sub: BusSubscription | undefined;

  constructor(
    private readonly p: AdminParts,
    private readonly reports: Reports,
    private readonly pollMs: number,
  ) {}

  async start(): Promise<void> {
    this.sub = await this.p.bus.subscribe(SQUARE_REPORT_CHANNEL, (bytes) => {
      if (decodeSquareReport(bytes)) this.poke();
    });
    this.poke();
    this.timer = setInterval(() => this.poke(), this.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sub?.unsubscribe();
    await this.running;
  }

  /** Runs a catch-up now, or once more after the one running (calls in between coalesce). */
  poke(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.catchUp()
      .catch((err: unknown) => this.p.logger.warn({ err }, 'square reports: catch-up failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  /** One catch-up: every page after the cursor; the cursor moves past what was filed. */
  async catchUp(): Promise<void> {
    const { repo, peers } = this.p;
    let after = readFrom(await repo.cursor('square_reports'));
    for (;;) {
      const page = await peers.square.internal.listReportsForConsole({ afterCursor: after, limit: PAGE });
      const todo = [];
      for (const c of page.reports) if (c.open && c.report && !(await repo.report(c.report.id))) todo.push(c);
      const authors = [...new Set(todo.map((c) => c.report!.authorId))];
      const names = new Map(
        authors.length === 0
          ? []
          : (await peers.auth.directory.lookupUsers({ userIds: authors })).users.map((u) => [
              u.id,
              u.nickname,
            ]),
      );
      for (const c of todo) {
        const r = c.report!;
        const req = create(
          adminpb.FileReportRequestSchema,
          squareReportRequest(r, c.postCreatedAt ? timestampMs(c.postCreatedAt) : 0),
        );
        if (req.snapshot) req.snapshot.authorNickname = names.get(r.authorId) ?? '';
        await fileRequest(this.reports, req).catch((err: unknown) => {
          // The same reporter's open report of the post filed another way: nothing to add.
          if (!(err instanceof AppError && err.code === ErrorCode.ALREADY_REPORTED)) throw err;
        });
      }
      const last = page.reports.at(-1)?.report?.id;
      if (last) {
        after = last;
        await repo.setCursor('square_reports', last);
      }
      if (!page.nextCursor) return;
    }
  }
}
