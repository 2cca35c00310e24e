import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupAvailable } from '../../../test/helpers/contacts-helpers.js';
import { loudnessLufs, taggedFlac, taggedMp3 } from '../../../test/helpers/media-fixtures.js';
import { uploadOk } from '../../../test/helpers/media-helpers.js';
import {
  cid,
  reason,
  ROOMS_SETUPS,
  startRoomsEnv,
  tokenOf,
  trio,
  type RoomsEnv,
} from './rooms.test-helpers.js';

const run = promisify(execFile);

/** What ffprobe says of bytes: container and first audio codec. */
async function probe(bytes: Buffer) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-probe-'));
  try {
    fs.writeFileSync(path.join(dir, 'f'), bytes);
    const { stdout } = await run('/usr/bin/ffprobe', [
      '-v',
      'error',
      '-show_format',
      '-show_streams',
      '-of',
      'json',
      path.join(dir, 'f'),
    ]);
    const j = JSON.parse(stdout) as {
      format: { format_name: string; tags?: Record<string, string> };
      streams: { codec_type: string; codec_name: string; profile?: string }[];
    };
    return { format: j.format.format_name, audio: j.streams.find((s) => s.codec_type === 'audio'), j };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Room tracks on each engine: transcoded once to AAC-LC in M4A with the loudness normalised,
 * title/artist/cover from the tags, served with ranges, to room members only; files that do
 * not decode are refused and leave the room as it was.
 */
for (const setup of ROOMS_SETUPS) {
  const ok = await setupAvailable(setup);
  describe.skipIf(!ok)(`rooms: tracks on ${setup.name}`, () => {
    let env: RoomsEnv;

    beforeAll(async () => {
      env = await startRoomsEnv(setup);
    });
    afterAll(async () => {
      await env?.stop();
    });

    const fetchUrl = (url: string, headers: Record<string, string> = {}) =>
      fetch(new URL(url, env.server.baseUrl), { headers });

    /** The room's first track once its URL serves the transcode. */
    async function transcoded(roomId: string, h: { headers: Record<string, string> }) {
      const first = async () => (await env.rooms.getRoom({ roomId }, h)).room!.queue[0]!;
      await expect
        .poll(async () => (await first()).url, { timeout: 30_000, interval: 200 })
        .toContain('track.m4a');
      return first();
    }

    it('an MP3 becomes normalised AAC-LC in M4A with its tags and cover; ranges; members only', async () => {
      const { ann, ben, cat, conv } = await trio(env);
      const { room } = await env.rooms.createRoom({ conversationId: conv, clientMsgId: cid() }, ann.h);
      const roomId = room!.id;
      const mp3 = await taggedMp3(8, 'Moon River', 'Audrey');
      const quiet = await loudnessLufs(mp3);
      expect(quiet).toBeLessThan(-30);
      const media = await uploadOk(env.server.baseUrl, tokenOf(ann), 'file', mp3, 'track01.mp3');
      const added = await env.rooms.addTrack(
        { roomId, mediaId: media.id, expectedVersion: room!.state!.version },
        ann.h,
      );
      expect(added.applied).toBe(true);
      // Tags at once; until the transcode (in the background) is ready, the file as uploaded.
      expect(added.room!.queue[0]).toMatchObject({
        title: 'Moon River',
        artist: 'Audrey',
        mime: 'audio/mpeg',
      });
      expect(Math.abs(added.room!.queue[0]!.durationMs - 8000)).toBeLessThan(200);
      const t = await transcoded(roomId, ann.h);
      // The URL serves the transcode, by ranges.
      const part = await fetchUrl(t.url, { range: 'bytes=0-99' });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-type')).toBe('audio/mp4');
      expect((await part.arrayBuffer()).byteLength).toBe(100);
      const whole = Buffer.from(await (await fetchUrl(t.url)).arrayBuffer());
      const p = await probe(whole);
      expect(p.format).toContain('mp4');
      expect(p.audio).toMatchObject({ codec_name: 'aac', profile: 'LC' });
      expect(p.j.format.tags?.title).toBeUndefined();
      // -16 LUFS (EBU R128), from a tone at about -33.
      expect(Math.abs((await loudnessLufs(whole)) + 16)).toBeLessThan(2);
      const cover = await fetchUrl(t.coverUrl);
      expect(cover.status).toBe(200);
      expect(cover.headers.get('content-type')).toBe('image/webp');
      // Given names win over the tags; the same file again is not transcoded again (same bytes).
      const again = await env.rooms.addTrack(
        { roomId, mediaId: media.id, title: 'Mine', expectedVersion: added.room!.state!.version },
        ann.h,
      );
      expect(again.room!.queue.map((q) => q.title)).toEqual(['Moon River', 'Mine']);
      // Ben is in the chat but not the room: he sees what plays, without URLs; joined, with.
      const outside = (await env.rooms.getRoom({ roomId }, ben.h)).room!;
      expect(outside.queue[0]!.title).toBe('Moon River');
      expect(outside.queue.every((q) => !q.url && !q.coverUrl)).toBe(true);
      const inside = (await env.rooms.joinRoom({ roomId }, ben.h)).room!;
      expect(inside.queue[0]!.url).toBeTruthy();
      await env.rooms.leaveRoom({ roomId }, ben.h);
      expect((await env.rooms.getRoom({ roomId }, ben.h)).room!.queue.every((q) => !q.url)).toBe(true);
      expect(await reason(env.rooms.getRoom({ roomId }, cat.h))).toBe('ROOM_NOT_MEMBER');
      // A signed URL names its file: pointing it at the source is refused.
      const forged = t.url.replace('track.m4a', 'track.json');
      expect((await fetchUrl(forged)).status).toBeGreaterThanOrEqual(400);
      // Each test waits for an ffmpeg transcode (up to 30 s above): 5-12 s alone, 22-30 s
      // under the whole suite on two cores, so the default 30 s per test is too short there.
    }, 120_000);

    it('FLAC tags in upper case; a file that does not decode is refused and changes nothing', async () => {
      const { ann, conv } = await trio(env);
      const { room } = await env.rooms.createRoom({ conversationId: conv, clientMsgId: cid() }, ann.h);
      const roomId = room!.id;
      const flac = await uploadOk(
        env.server.baseUrl,
        tokenOf(ann),
        'file',
        await taggedFlac(3, '月亮代表我的心', '邓丽君'),
        'x.flac',
      );
      const r = await env.rooms.addTrack(
        { roomId, mediaId: flac.id, expectedVersion: room!.state!.version },
        ann.h,
      );
      expect(r.room!.queue[0]).toMatchObject({
        title: '月亮代表我的心',
        artist: '邓丽君',
        mime: 'audio/flac',
      });
      expect((await transcoded(roomId, ann.h)).coverUrl).toBe('');
      // An ID3 header announcing more than there is, then noise: stored as audio/mpeg, but
      // nothing in it decodes.
      const junk = Buffer.concat([
        Buffer.from('ID3\x03\x00\x00\x00\x00\x7f\x7f', 'latin1'),
        Buffer.alloc(4000, 0x55),
      ]);
      const bad = await uploadOk(env.server.baseUrl, tokenOf(ann), 'file', junk, 'broken.mp3');
      expect(bad.mime).toBe('audio/mpeg');
      const v = r.room!.state!.version;
      expect(await reason(env.rooms.addTrack({ roomId, mediaId: bad.id, expectedVersion: v }, ann.h))).toBe(
        'ROOM_TRACK_UNPLAYABLE',
      );
      const after = (await env.rooms.getRoom({ roomId }, ann.h)).room!;
      expect(after.state!.version).toBe(v);
      expect(after.queue).toHaveLength(1);
    }, 120_000);
  });
}
