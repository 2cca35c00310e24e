import { auth, media } from '@mychat/protocol';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../app.js';
import { bearer, signUp } from '../../../test/helpers/auth-helpers.js';
import { mpeg4Mp4 } from '../../../test/helpers/media-fixtures.js';
import { uploadOk } from '../../../test/helpers/media-helpers.js';
import { startTestServer, type TestServer } from '../../../test/helpers/test-server.js';

/**
 * The worker as its own target: a server without one leaves a transcode queued; a process
 * started later with `--target=worker` on the same database and blob store finishes it.
 */
describe('media worker running alone', () => {
  let server: TestServer;
  let worker: App | undefined;
  afterAll(async () => {
    await worker?.stop();
    await server?.stop();
  });

  it('finishes a job queued while no worker ran', async () => {
    server = await startTestServer({ targets: ['gateway', 'auth', 'message', 'media'] });
    expect(server.app.runner.notRunning()).toEqual([]);
    const { session } = await signUp(server, server.client(auth.AuthService));
    const h = bearer(session.accessToken);
    const m = await uploadOk(server.baseUrl, session.accessToken, 'video', await mpeg4Mp4(1), 'old.mp4');
    expect(m.status).toBe(media.MediaStatus.PROCESSING);
    await new Promise((r) => setTimeout(r, 1000));
    const api = server.client(media.MediaService);
    expect((await api.getMedia({ mediaId: m.id }, h)).media!.status).toBe(media.MediaStatus.PROCESSING);

    worker = createApp({
      targets: ['worker'],
      logDestination: pino.destination('/dev/null'),
      config: {
        env: {},
        overrides: {
          dataDir: server.dataDir,
          http: { port: 0 },
          rpc: { port: 0 },
          worker: { pollIntervalMs: 50 },
        },
      },
    });
    await worker.start();
    expect(Object.keys(await worker.runner.health())).toContain('worker');
    let status = media.MediaStatus.PROCESSING;
    for (let i = 0; i < 200 && status === media.MediaStatus.PROCESSING; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await api.getMedia({ mediaId: m.id }, h)).media!.status;
    }
    expect(status).toBe(media.MediaStatus.READY);
  });
});
