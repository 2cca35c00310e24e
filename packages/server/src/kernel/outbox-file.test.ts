import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { outboxFileStem, writeOutboxFile } from './outbox-file.js';

describe('outbox files', () => {
  let root: string | undefined;
  afterEach(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('gives stems that sort in creation order even within one millisecond', () => {
    const instant = new Date('2030-01-02T03:04:05.678Z');
    const stems = Array.from({ length: 500 }, () => outboxFileStem(instant));
    expect(new Set(stems).size).toBe(500);
    expect([...stems].sort()).toEqual(stems);
    expect(stems[0]).toMatch(/^20300102T030405678Z-\d{4}-[0-9a-f]{8}$/);
    const later = outboxFileStem(new Date('2030-01-02T03:04:05.679Z'));
    expect(later > (stems.at(-1) as string)).toBe(true);
  });

  it('creates the directory and leaves only the finished file', async () => {
    root = await mkdtemp(path.join(tmpdir(), 'mychat-outbox-'));
    const dir = path.join(root, 'a', 'b');
    const { file, stem } = await writeOutboxFile(dir, 'json', '{"x":1}');
    expect(file).toBe(path.join(dir, `${stem}.json`));
    expect(await readdir(dir)).toEqual([`${stem}.json`]);
    expect(await readFile(file, 'utf8')).toBe('{"x":1}');
  });
});
