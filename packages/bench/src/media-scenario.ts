import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { MyChatClient } from '@mychat/sdk';
import { codeFromOutbox, startLocalServer } from './local-server.js';
import { summarize, type LatencySummary } from './stats.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;

export interface MediaResult {
  scenario: 'media';
  /** Server-side processing of a 12-megapixel JPEG (header, thumbnail, placeholder), ms. */
  image_12mp_processing_ms: LatencySummary;
  /** The whole one-request upload of that photo (transfer, hash, checks, processing, storage), ms. */
  image_12mp_upload_ms: LatencySummary;
  image_bytes: number;
  /** Server-side transcode of 60 s of voice (WebM/Opus 64k -> Ogg/Opus 48k) plus waveform, ms. */
  voice_60s_processing_ms: LatencySummary;
  /** Loopback upload throughput, MiB/s, including hashing and storing the file. */
  upload_mib_s: { one_request_32mib: number; tus_256mib_in_16mib_chunks: number };
}

async function ffmpeg(args: string[], out: string): Promise<Buffer> {
  await run('/usr/bin/ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', ...args, '-y', out]);
  return fs.readFileSync(out);
}

/** The running sum of a histogram series from /metrics. */
async function histogramSum(url: string, name: string, kind: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}_sum{kind="${kind}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

/**
 * Media on the embedded profile (SQLite, disk blobs), one user, uploads one at a time so the
 * server's processing histogram can be read per upload. Inputs are generated with ffmpeg.
 */
export async function runMedia(opts: { images: number; voices: number }): Promise<MediaResult> {
  const server = await startLocalServer();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-bench-media-'));
  try {
    const email = `bench.media.${process.pid}@example.com`;
    const client = new MyChatClient({
      baseUrl: server.url,
      device: { clientType: 'bot', deviceId: 'm1', name: 'bench' },
    });
    await client.auth.sendCode({ email }, 'register');
    const code = await codeFromOutbox(server.dataDir, email);
    await client.auth.register({
      to: { email },
      code,
      password: 'bench-media-password-1',
      nickname: 'm',
    });
    const auth = { authorization: `Bearer ${await client.auth.accessToken()}` };
    const post = async (kind: string, body: Buffer, name: string) => {
      const r = await fetch(`${server.url}/media/v1/upload?kind=${kind}&name=${name}`, {
        method: 'POST',
        headers: auth,
        body,
      });
      if (r.status !== 201) throw new Error(`upload ${kind}: ${r.status} ${await r.text()}`);
      await r.arrayBuffer();
    };
    const timed = async (kind: string, body: Buffer, name: string) => {
      const before = await histogramSum(server.url, 'mychat_media_processing_seconds', kind);
      const t = performance.now();
      await post(kind, body, name);
      const total = performance.now() - t;
      const after = await histogramSum(server.url, 'mychat_media_processing_seconds', kind);
      return { total, processing: (after - before) * 1000 };
    };

    const imgProc: number[] = [];
    const imgTotal: number[] = [];
    let imageBytes = 0;
    for (let i = 0; i < opts.images; i++) {
      // A different 4000x3000 (12 MP) frame each time, so no upload is a duplicate.
      const jpg = await ffmpeg(
        [
          '-f',
          'lavfi',
          '-i',
          `testsrc2=size=4000x3000:rate=1,noise=alls=20:allf=t+u:all_seed=${i + 1}`,
          '-frames:v',
          '1',
          '-q:v',
          '3',
        ],
        path.join(work, `p${i}.jpg`),
      );
      imageBytes = jpg.length;
      const r = await timed('image', jpg, `photo${i}.jpg`);
      imgProc.push(r.processing);
      imgTotal.push(r.total);
    }

    const voiceProc: number[] = [];
    for (let i = 0; i < opts.voices; i++) {
      const webm = await ffmpeg(
        [
          '-f',
          'lavfi',
          '-i',
          `sine=frequency=${200 + i * 37}:beep_factor=3:duration=59.5`,
          '-c:a',
          'libopus',
          '-b:a',
          '64k',
          '-f',
          'webm',
        ],
        path.join(work, `v${i}.webm`),
      );
      voiceProc.push((await timed('voice', webm, `v${i}.webm`)).processing);
    }

    // One request: 32 MiB (the default one-request limit), 3 times.
    let t = performance.now();
    for (let i = 0; i < 3; i++) await post('file', randomBytes(32 * MiB), `blob${i}.bin`);
    const oneRequest = (3 * 32) / ((performance.now() - t) / 1000);

    // tus: 256 MiB in 16 MiB PATCHes.
    const size = 256 * MiB;
    const chunk = randomBytes(16 * MiB);
    t = performance.now();
    const created = await fetch(`${server.url}/media/v1/tus`, {
      method: 'POST',
      headers: {
        ...auth,
        'tus-resumable': '1.0.0',
        'upload-length': String(size),
        'upload-metadata': `kind ${Buffer.from('file').toString('base64')},filename ${Buffer.from('big.bin').toString('base64')}`,
      },
    });
    const url = new URL(created.headers.get('location')!, `${server.url}/media/v1/tus/`).toString();
    for (let off = 0; off < size; off += chunk.length) {
      const r = await fetch(url, {
        method: 'PATCH',
        headers: {
          ...auth,
          'tus-resumable': '1.0.0',
          'upload-offset': String(off),
          'content-type': 'application/offset+octet-stream',
        },
        body: chunk,
      });
      if (r.status !== 204) throw new Error(`tus PATCH at ${off}: ${r.status} ${await r.text()}`);
    }
    const tusRate = 256 / ((performance.now() - t) / 1000);

    return {
      scenario: 'media',
      image_12mp_processing_ms: summarize(imgProc),
      image_12mp_upload_ms: summarize(imgTotal),
      image_bytes: imageBytes,
      voice_60s_processing_ms: summarize(voiceProc),
      upload_mib_s: {
        one_request_32mib: Math.round(oneRequest * 10) / 10,
        tus_256mib_in_16mib_chunks: Math.round(tusRate * 10) / 10,
      },
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    await server.stop();
  }
}
