import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../test/helpers/sql-databases.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import { openSqliteSql } from './sqlite.sql.js';

const sizeOf = (file: string) => (fs.existsSync(file) ? fs.statSync(file).size : 0);
const turn = () => new Promise<void>((r) => setImmediate(r));

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('SQLite checkpoints off the event loop', () => {
  let dir: string;
  let file: string;
  let raw: Database.Database;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-ckpt-'));
    file = path.join(dir, 'db.sqlite');
    raw = new Database(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.exec('create table t (id integer primary key, v blob not null)');
  });
  afterEach(() => {
    if (raw.open) raw.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** One transaction of `rows` rows of 3 000 bytes: about one new page each. */
  function insert(rows: number): void {
    const stmt = raw.prepare('insert into t (v) values (?)');
    raw.transaction(() => {
      for (let i = 0; i < rows; i++) stmt.run(Buffer.alloc(3000, i));
    })();
  }

  it('the writer stops checkpointing; the thread copies committed pages into the database file', async () => {
    const onWriter = writerCheckpoints();
    const c = new SqliteCheckpointer(raw, file, async (fn) => fn(), silentLogger());
    let stopped = false;
    try {
      expect(raw.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      const before = sizeOf(file);
      for (let i = 0; i < 300; i++) insert(4); // ~1 200 pages: past SQLite's own 1 000
      // The writer no longer runs a checkpoint (SQLite's automatic one is off, and none is asked
      // for on its connection). The file's size is no witness here: the thread may already have
      // run a pass while the inserts went on.
      expect(onWriter()).toBe(0);
      await until(() => c.stats.passes > 0 && sizeOf(file) > before + 1_000 * 3000, 'a pass');

      // Once stopped, nothing copies any more.
      await c.stop();
      stopped = true;
      const after = sizeOf(file);
      for (let i = 0; i < 300; i++) insert(4);
      await new Promise((r) => setTimeout(r, 400));
      expect(sizeOf(file)).toBe(after);
    } finally {
      if (!stopped) await c.stop();
    }
  });

  /** Counts checkpoints run on the writer's own connection. */
  function writerCheckpoints(): () => number {
    let n = 0;
    const pragma = raw.pragma.bind(raw);
    raw.pragma = ((source: string, options?: Database.PragmaOptions) => {
      if (source.startsWith('wal_checkpoint')) n++;
      return pragma(source, options);
    }) as typeof raw.pragma;
    return () => n;
  }

  it('keeps the WAL bounded when the writer never pauses (the thread copies the last frames while the writer waits)', async () => {
    const onWriter = writerCheckpoints();
    let exclusive = 0;
    // The writer's lock: while the thread copies the last frames, no transaction starts.
    let held: Promise<void> | undefined;
    const c = new SqliteCheckpointer(
      raw,
      file,
      async (fn) => {
        exclusive++;
        held = fn();
        await held;
        held = undefined;
      },
      silentLogger(),
      { intervalMs: 10, restartFrames: 1_000 },
    );
    try {
      let largest = 0;
      // ~6 000 transactions of 4 pages, one per event-loop turn: ~24 000 frames (94 MiB)
      // in all, many times the restart mark (1 000 frames here); the WAL file must be
      // restarted, not grown.
      for (let i = 0; i < 6_000; i++) {
        if (held) await held;
        insert(4);
        largest = Math.max(largest, sizeOf(`${file}-wal`));
        await turn();
      }
      // The restart mark, plus what comes in while the thread copies and before the writer's
      // turn: a few thousand frames of ~4 KiB (under a loaded test run, up to ~35 MiB was seen),
      // far from the 94 MiB written: bounded, not grown.
      expect(largest).toBeLessThan(48 * 1024 * 1024);
      expect(c.stats.tails).toBeGreaterThan(0);
      expect(exclusive).toBe(c.stats.tails);
      // The copy and its fsync happened on the thread; the writer only waited.
      expect(onWriter()).toBe(0);
      expect(raw.prepare('select count(*) as n from t').get()).toEqual({ n: 24_000 });
    } finally {
      await c.stop();
    }
  });

  it('a thread that dies during a tail checkpoint lets the writer go on', async () => {
    let tailStarted!: () => void;
    const started = new Promise<void>((r) => (tailStarted = r));
    let released = false;
    const c = new SqliteCheckpointer(
      raw,
      file,
      async (fn) => {
        const p = fn();
        tailStarted();
        await p;
        released = true;
      },
      silentLogger(),
      { intervalMs: 10, restartFrames: 10 },
    );
    try {
      insert(20);
      await started;
      // The thread is gone before it answers (as if it crashed): the lock must not stay held.
      await c['worker'].terminate();
      await until(() => released, 'the writer to be released');
    } finally {
      await c.stop();
    }
  });

  it('goes back to checkpointing on the writer when the thread fails', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    // The thread opens its own connection; a file that is not there makes it fail at once.
    const c = new SqliteCheckpointer(raw, path.join(dir, 'missing.sqlite'), async (fn) => fn(), log);
    try {
      await until(() => raw.pragma('wal_autocheckpoint', { simple: true }) === 1000, 'the fallback');
      expect(lines.join('')).toContain('checkpointing on the writer again');
    } finally {
      await c.stop();
    }
  });

  it('openSqliteSql: checkpoints in the background and closes to one complete database file', async () => {
    raw.close();
    fs.rmSync(file);
    const s = await openSqliteSql(file, silentLogger());
    await sql`create table k (id integer primary key, v text not null)`.execute(s.db);
    for (let i = 0; i < 200; i++) await sql`insert into k (v) values (${'x'.repeat(2000)})`.execute(s.db);
    expect(sizeOf(`${file}-wal`)).toBeGreaterThan(0);
    const dbBytes = sizeOf(file);
    await until(() => sizeOf(file) > dbBytes, 'the thread to copy the inserts');
    await s.close();
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    const again = new Database(file, { readonly: true });
    try {
      expect(again.prepare('select count(*) as n from k').get()).toEqual({ n: 200 });
    } finally {
      again.close();
    }
  });
});
