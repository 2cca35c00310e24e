import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSql } from '../../adapters/sql/open-sql.js';
import type { SqlDatabase } from '../../adapters/sql/sql.js';
import { backendAvailable } from '../../../test/helpers/backends.js';
import { createTestDatabaseUrl, dropTestDatabase } from '../../../test/helpers/sql-databases.js';
import { mediaMigrations } from './media.migrations.js';
import { MediaRepository } from './media.repository.js';
import { STATUS_READY, type MediaRow } from './media.tables.js';

const logger = pino({ level: 'silent' });
const engines = [
  { engine: 'sqlite' as const, ok: true },
  { engine: 'mysql' as const, ok: await backendAvailable('mysql') },
  { engine: 'postgres' as const, ok: await backendAvailable('postgres') },
];

/**
 * "216 KB used" over an empty My files (issue 24): usedBytes counts every file the account keeps,
 * chat photos included, which My files never lists. driveBytes is the part it lists, so the page
 * can tell the two apart. On every engine.
 */
describe.each(engines)('media usage vs My files on $engine', ({ engine, ok }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-drive-bytes-'));
  let url = `sqlite:${path.join(dir, 'media.db')}`;
  let sql: SqlDatabase | undefined;
  let repo: MediaRepository;
  beforeAll(async () => {
    if (!ok) return;
    if (engine !== 'sqlite') url = await createTestDatabaseUrl(engine);
    sql = await openSql({ url, logger });
    await sql.migrate('media', mediaMigrations);
    repo = new MediaRepository(sql);
  });
  afterAll(async () => {
    await sql?.close().catch(() => undefined);
    if (ok && engine !== 'sqlite') await dropTestDatabase(url);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let n = 100;
  const file = async (ownerId: string, size: number): Promise<MediaRow> => {
    const id = String(n++);
    const m: MediaRow = {
      id,
      ownerId,
      kind: 1,
      status: STATUS_READY,
      mime: 'image/jpeg',
      size,
      sha256: id.padStart(64, '0'),
      name: `${id}.jpg`,
      blobKey: `m/${id}/o`,
      thumbKey: null,
      posterKey: null,
      width: 1,
      height: 1,
      durationMs: 0,
      waveform: [],
      placeholder: '',
      error: '',
      createdAt: 1_800_000_000_000,
    };
    await repo.insertMedia(m, m.createdAt);
    return m;
  };
  const entry = (ownerId: string, mediaId: string, name: string) =>
    repo.insertDrive({
      id: String(n++),
      ownerId,
      parentId: '0',
      isFolder: false,
      name,
      mediaId,
      createdAt: 1_800_000_000_000,
      updatedAt: 1_800_000_000_000,
    });

  it.skipIf(!ok)('counts in My files only what it lists, each file once; the rest is chats', async () => {
    const owner = '7001';
    // A photo sent in a chat (never kept in My files): used, not in My files.
    await file(owner, 216_000);
    expect(await repo.usedBytes(owner)).toBe(216_000);
    expect(await repo.driveBytes(owner)).toBe(0);

    // A document in My files under two names: stored and counted once.
    const doc = await file(owner, 5_000);
    await entry(owner, doc.id, 'plan.txt');
    await entry(owner, doc.id, 'plan copy.txt');
    expect(await repo.driveBytes(owner)).toBe(5_000);
    expect(await repo.usedBytes(owner)).toBe(221_000);

    // A freed file counts nowhere; another person's entries count for them only.
    await repo.markDeleted(doc.id, 1_800_000_000_001);
    expect(await repo.driveBytes(owner)).toBe(0);
    const other = await file('7002', 9_000);
    await entry('7002', other.id, 'theirs.txt');
    expect(await repo.driveBytes(owner)).toBe(0);
    expect(await repo.driveBytes('7002')).toBe(9_000);
  });
});
