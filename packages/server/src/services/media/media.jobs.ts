import type { Kysely } from 'kysely';
import { asId, asNum, type SqlDatabase } from '../../adapters/sql/sql.js';
import type { Clock } from '../../kernel/clock.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { MediaTables } from './media.tables.js';

/** What kinds of background work there are. */
export type JobKind = 'transcode' | 'trim';

export interface Job {
  id: string;
  kind: JobKind;
  mediaId: string;
  payload: Record<string, unknown>;
  attempts: number;
}

const QUEUED = 0;
const RUNNING = 1;
const DONE = 2;
const FAILED = 3;

/**
 * A job queue in one SQL table, on every engine: durable (a job enqueued is on disk before
 * the caller hears back), claimed with a lease by an UPDATE that only one worker can win,
 * and retried when its worker dies (the lease runs out) or it fails (with backoff).
 */
export class JobQueue {
  private readonly db: Kysely<MediaTables>;
  constructor(
    sql: SqlDatabase,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
  ) {
    this.db = sql.db as Kysely<MediaTables>;
  }

  async enqueue(kind: JobKind, mediaId: string, payload: Record<string, unknown> = {}): Promise<string> {
    const now = this.clock.now();
    const id = this.ids.next();
    await this.db
      .insertInto('media_jobs')
      .values({
        id,
        kind,
        media_id: mediaId,
        payload: JSON.stringify(payload),
        state: QUEUED,
        attempts: 0,
        run_after: now,
        locked_until: 0,
        last_error: '',
        created_at: now,
        updated_at: now,
      })
      .execute();
    return id;
  }

  /** Takes the oldest due job for `leaseMs`, or undefined when there is none. */
  async claim(leaseMs: number): Promise<Job | undefined> {
    const now = this.clock.now();
    const due = await this.db
      .selectFrom('media_jobs')
      .selectAll()
      .where((eb) =>
        eb.or([
          eb.and([eb('state', '=', QUEUED), eb('run_after', '<=', now)]),
          eb.and([eb('state', '=', RUNNING), eb('locked_until', '<', now)]),
        ]),
      )
      .orderBy('id')
      .limit(8)
      .execute();
    for (const r of due) {
      // Only one claimer's UPDATE matches the row as it was read.
      const res = await this.db
        .updateTable('media_jobs')
        .set({
          state: RUNNING,
          locked_until: now + leaseMs,
          attempts: asNum(r.attempts) + 1,
          updated_at: now,
        })
        .where('id', '=', r.id)
        .where('state', '=', r.state)
        .where('locked_until', '=', r.locked_until)
        .where('attempts', '=', r.attempts)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 1) {
        return {
          id: asId(r.id),
          kind: r.kind as JobKind,
          mediaId: asId(r.media_id),
          payload: JSON.parse(r.payload) as Record<string, unknown>,
          attempts: asNum(r.attempts) + 1,
        };
      }
    }
    return undefined;
  }

  async complete(id: string): Promise<void> {
    await this.db
      .updateTable('media_jobs')
      .set({ state: DONE, updated_at: this.clock.now() })
      .where('id', '=', id)
      .execute();
  }

  /** Records a failure: the job runs again at `retryAt`, or never when it is undefined. */
  async fail(id: string, error: string, retryAt?: number): Promise<void> {
    await this.db
      .updateTable('media_jobs')
      .set({
        state: retryAt === undefined ? FAILED : QUEUED,
        run_after: retryAt ?? 0,
        locked_until: 0,
        last_error: error.slice(0, 500),
        updated_at: this.clock.now(),
      })
      .where('id', '=', id)
      .execute();
  }

  /** Job states by id (tests and operators). */
  async state(id: string): Promise<{ state: 'queued' | 'running' | 'done' | 'failed'; attempts: number }> {
    const r = await this.db
      .selectFrom('media_jobs')
      .select(['state', 'attempts'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const names = ['queued', 'running', 'done', 'failed'] as const;
    return { state: names[asNum(r.state)]!, attempts: asNum(r.attempts) };
  }
}
