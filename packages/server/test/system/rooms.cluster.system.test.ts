import { type MyChatClient, PlaybackController, SimulatedPlayer, type PlaybackState } from '@mychat/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from '@mychat/server/dev/cluster';
import { backendAvailable, backendUrls } from '../helpers/backends.js';
import { makePairs, type Pair } from '../helpers/chat-pairs.js';
import { clusterTestEnv } from '../helpers/cluster-env.js';
import { toneWav } from '../helpers/media-fixtures.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (what: string, data: Record<string, unknown>) =>
  process.stdout.write(`[rooms.cluster] ${what} ${JSON.stringify(data)}\n`);

/** A member's player, kept on the room by the SDK's controller. */
function follower(c: MyChatClient) {
  const player = new SimulatedPlayer();
  const ctl = new PlaybackController(player, c.rooms.clock, { tickMs: 100 });
  const states: PlaybackState[] = [];
  c.rooms.on('state', (_id, s) => {
    states.push(s);
    ctl.apply(s);
  });
  return { player, ctl, states };
}

/**
 * Listen together on the split deployment: Ann's socket is on gateway-1, Ben's on gateway-2.
 * Mid-song gateway-1 is SIGKILLed; while it is down Ben seeks. When it is back Ann's client
 * reconnects, resyncs from the room's stored state and plays in step with Ben again.
 */
describe.skipIf(!((await backendAvailable('postgres')) && (await backendAvailable('redis'))))(
  'listen together on the loopback cluster (PostgreSQL + Redis)',
  () => {
    let cluster: Cluster;
    let pair: Pair | undefined;
    const stopped: PlaybackController[] = [];

    beforeAll(async () => {
      cluster = await startCluster({
        sql: backendUrls.postgres,
        redisUrl: backendUrls.redis,
        env: clusterTestEnv,
      });
    }, 90_000);
    afterAll(async () => {
      for (const c of stopped) c.stop();
      for (const s of pair ? [pair.a, pair.b] : []) {
        s.client.rooms.clock.stop();
        await s.client.close();
      }
      await cluster?.stop();
    });

    it('a gateway SIGKILLed mid-song: its member reconnects and resumes from the stored state', async () => {
      const [g0, g1] = cluster.gateways.map((g) => g.httpUrl) as [string, string];
      [pair] = await makePairs({ count: 1, codeFor: (e) => cluster.codeFor(e), urlA: g0, urlB: g1 });
      const { a: ann, b: ben, conv } = pair!;
      await Promise.all([ann.client.connect(), ben.client.connect()]);
      await Promise.all([ann.client.rooms.clock.start(), ben.client.rooms.clock.start()]);
      const a = follower(ann.client);
      const b = follower(ben.client);
      stopped.push(a.ctl, b.ctl);
      const { room } = await ann.client.rooms.create(conv, { title: 'Cluster song' });
      await ben.client.rooms.join(room.id);
      const song = await ann.client.media.upload(await toneWav(120), { name: 'tone.wav', kind: 'file' });
      await ann.client.rooms.addTrack(room.id, song.id);
      for (const [u, f] of [
        [ann, a],
        [ben, b],
      ] as const) {
        f.ctl.apply((await u.client.rooms.get(room.id)).state);
        f.ctl.start();
      }
      const play = await ben.client.rooms.control(room.id, 'play');
      expect(play.applied).toBe(true);
      await sleep(2500);
      expect(Math.abs(a.player.positionMs() - b.player.positionMs())).toBeLessThan(50);

      // Mid-song: Ann's gateway dies. Ben, on the other, seeks while it is down.
      await cluster.killGateway(0);
      const killedAt = Date.now();
      await sleep(500);
      expect(ann.client.state).not.toBe('live');
      const seek = await ben.client.rooms.control(room.id, 'seek', { positionMs: 60_000 });
      expect(seek.applied).toBe(true);
      await sleep(1000);
      // Ann missed the frame: she still plays the old place.
      expect(a.states.at(-1)!.version).toBeLessThan(seek.room.state.version);
      await cluster.process('gateway-1').start();
      await expect.poll(() => ann.client.state, { timeout: 30_000, interval: 100 }).toBe('live');
      await expect
        .poll(() => a.states.at(-1)?.version, { timeout: 10_000, interval: 50 })
        .toBe(seek.room.state.version);
      const resumedMs = Date.now() - killedAt;
      await sleep(3000);
      const diff = Math.abs(a.player.positionMs() - b.player.positionMs());
      log('gateway SIGKILL mid-song', { resumed_ms_after_kill: resumedMs, position_diff_ms: diff });
      expect(diff).toBeLessThan(50);
      expect(b.player.positionMs()).toBeGreaterThan(62_000);
    }, 180_000);
  },
);
