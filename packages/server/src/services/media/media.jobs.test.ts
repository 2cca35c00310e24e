import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSql } from '../../adapters/sql/open-sql.js';
import type { SqlDatabase } from '../../adapters/sql/sql.js';
import { manualClock } from '../../kernel/clock.js';
import { createIdGenerator } from '../../kernel/ids.js';
import { backendAvailable } from '../../../test/helpers/backends.js';
import { createTestDatabaseUrl, dropTestDatabase } from '../../../test/helpers/sql-databases.js';
import { JobQueue } from './media.jobs.js';
import { mediaMigrations } from './media.migrations.js';

const logger = pino({ level: 'silent' });

const engines = [
  { engine: 'sqlite' as const, ok: true },
  { engine: 'mysql' as const, ok: await backendAvailable('mysql') },
  { engine: 'postgres' as const, ok: await backendAvailable('postgres') },
];

/** The SQL job queue on every engine: leases, retries, and jobs that outlive the process. */
describe.each(engines)('media job queue on $engine', ({ engine, ok }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-jobs-'));
  let url = `sqlite:${path.join(dir, 'jobs.db')}`;
  beforeAll(async () => {
    if (ok && engine !== 'sqlite') url = await createTestDatabaseUrl(engine);
  });
  const clock = manualClock(1_800_000_000_000);
  const ids = createIdGenerator(1, clock.now);
  const opened: SqlDatabase[] = [];
  const open = async () => {
    const sql = await openSql({ url, logger });
    await sql.migrate('media', mediaMigrations);
    opened.push(sql);
    return { sql, queue: new JobQueue(sql, ids, clock) };
  };
  afterAll(async () => {
    for (const s of opened) await s.close().catch(() => undefined);
    if (ok && engine !== 'sqlite') await dropTestDatabase(url);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(!ok)(
    'gives a job to one claimer, and again to another once the first one’s lease runs out',
    async () => {
      const { queue } = await open();
      const id = await queue.enqueue('transcode', '42', { a: 1 });
      const claims = await Promise.all([queue.claim(60_000), queue.claim(60_000), queue.claim(60_000)]);
      const won = claims.filter(Boolean);
      expect(won).toHaveLength(1);
      expect(won[0]).toMatchObject({ id, kind: 'transcode', mediaId: '42', payload: { a: 1 }, attempts: 1 });
      // The claimer dies without a word; nobody else gets the job while its lease holds.
      clock.advance(59_000);
      expect(await queue.claim(60_000)).toBeUndefined();
      clock.advance(2_000);
      const again = await queue.claim(60_000);
      expect(again).toMatchObject({ id, attempts: 2 });
      await queue.complete(id);
      expect(await queue.state(id)).toEqual({ state: 'done', attempts: 2 });
      expect(await queue.claim(60_000)).toBeUndefined();
    },
  );

  it.skipIf(!ok)('keeps queued jobs across a restart of the process', async () => {
    const first = await open();
    const id = await first.queue.enqueue('trim', '7', { startMs: 0, endMs: 1000 });
    await first.sql.close();
    opened.splice(opened.indexOf(first.sql), 1);
    const second = await open();
    expect(await second.queue.claim(60_000)).toMatchObject({ id, kind: 'trim', mediaId: '7' });
    await second.queue.complete(id);
  });

  it.skipIf(!ok)('retries a failed job when asked to, and stops when told it failed for good', async () => {
    const { queue } = await open();
    const id = await queue.enqueue('transcode', '9');
    await queue.claim(60_000);
    await queue.fail(id, 'ffmpeg crashed', clock.now() + 10_000);
    expect(await queue.state(id)).toEqual({ state: 'queued', attempts: 1 });
    expect(await queue.claim(60_000)).toBeUndefined();
    clock.advance(10_000);
    expect(await queue.claim(60_000)).toMatchObject({ id, attempts: 2 });
    await queue.fail(id, 'ffmpeg crashed again');
    expect(await queue.state(id)).toEqual({ state: 'failed', attempts: 2 });
    clock.advance(3_600_000);
    expect(await queue.claim(60_000)).toBeUndefined();
  });
});
