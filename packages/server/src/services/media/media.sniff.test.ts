import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../kernel/errors.js';
import { photoWithGps, windowsExecutable } from '../../../test/helpers/media-fixtures.js';
import { disposition } from './media.service.js';
import { cleanName, sniff } from './media.sniff.js';
import { KIND_FILE, KIND_IMAGE, KIND_VIDEO, KIND_VOICE } from './media.tables.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-sniff-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (bytes: Buffer | string) => {
  const p = path.join(dir, `f${n++}.png`); // every name says PNG; only the bytes count
  fs.writeFileSync(p, bytes);
  return p;
};
const reason = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof AppError ? e.reason : String(e)),
  );

describe('sniff: the type comes from the bytes', () => {
  it('accepts a JPEG as an image whatever it is called', async () => {
    expect(await sniff(file(await photoWithGps(64, 64)), KIND_IMAGE, false)).toEqual({ mime: 'image/jpeg' });
  });

  it('refuses an executable as an image, voice, video, and as a file unless allowed', async () => {
    const exe = file(windowsExecutable());
    for (const kind of [KIND_IMAGE, KIND_VOICE, KIND_VIDEO, KIND_FILE])
      expect(await reason(sniff(exe, kind, false))).toBe('MEDIA_TYPE_NOT_ALLOWED');
    expect(await sniff(exe, KIND_FILE, true)).toEqual({ mime: 'application/x-msdownload' });
  });

  it('calls unknown bytes text or octet-stream, never what the name says', async () => {
    expect(await sniff(file('plain words\n'), KIND_FILE, false)).toEqual({
      mime: 'text/plain; charset=utf-8',
    });
    expect(await sniff(file(Buffer.from([0, 1, 2, 3, 250, 251])), KIND_FILE, false)).toEqual({
      mime: 'application/octet-stream',
    });
    expect(await reason(sniff(file('<svg onload=alert(1)>'), KIND_IMAGE, false))).toBe(
      'MEDIA_TYPE_NOT_ALLOWED',
    );
  });
});

describe('cleanName', () => {
  it('keeps only the last path part, without control characters or leading dots', () => {
    expect(cleanName('../../etc/passwd')).toBe('passwd');
    expect(cleanName('..\\..\\windows\\system32\\cmd.exe')).toBe('cmd.exe');
    expect(cleanName('a\u0000b\nc"d.txt')).toBe('abcd.txt');
    expect(cleanName('.htaccess')).toBe('htaccess');
    expect(cleanName('../')).toBe('file');
    expect(cleanName('x'.repeat(300))).toHaveLength(200);
  });

  it('makes a Content-Disposition with an ASCII fallback and the UTF-8 name', () => {
    expect(disposition('attachment', '照片 1.jpg')).toBe(
      `attachment; filename="__ 1.jpg"; filename*=UTF-8''%E7%85%A7%E7%89%87%201.jpg`,
    );
    expect(disposition('inline', 'a"b\\c.png')).toBe(
      `inline; filename="a_b_c.png"; filename*=UTF-8''a%22b%5Cc.png`,
    );
  });
});
