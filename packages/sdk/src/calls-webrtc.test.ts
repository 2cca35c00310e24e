import { describe, expect, it } from 'vitest';
import type { CallsApi } from './calls-api.js';
import { CallSession, qualityOf } from './calls-webrtc.js';

describe('the connection quality of a call', () => {
  it.each([
    [0.02, 0, 'good'],
    [0.15, 0.03, 'good'],
    [0.151, 0, 'fair'],
    [0.05, 0.031, 'fair'],
    [0.4, 0.1, 'fair'],
    [0.401, 0, 'poor'],
    [0.01, 0.2, 'poor'],
  ] as const)('rtt %s s and loss %s is %s', (rtt, loss, q) => {
    expect(qualityOf(rtt, loss)).toBe(q);
  });
});

/** A stand-in for MediaStream (Node has none): tracks by kind, stop() recorded. */
function fakeStream(...kinds: string[]) {
  const tracks = kinds.map((kind, i) => ({
    kind,
    id: `${kind}${i}`,
    stopped: false,
    stop() {
      this.stopped = true;
    },
  }));
  return {
    tracks,
    getTracks: () => [...tracks],
    removeTrack: (t: (typeof tracks)[number]) => tracks.splice(tracks.indexOf(t), 1),
    addTrack: (t: (typeof tracks)[number]) => tracks.push(t),
  };
}

describe('CallSession.replaceTrack', () => {
  const session = (stream: ReturnType<typeof fakeStream>) =>
    new CallSession({
      calls: {} as CallsApi,
      call: { id: 'c' } as never,
      localStream: stream as unknown as MediaStream,
      iceServers: [],
    });

  it('puts the new track in place of the one of its kind and stops the old one', async () => {
    const stream = fakeStream('audio', 'video');
    const [mic, cam] = stream.tracks;
    const other = { kind: 'audio', id: 'mic2', stopped: false, stop() {} };
    const old = await session(stream).replaceTrack(other as unknown as MediaStreamTrack);
    expect(old).toBe(mic);
    expect(mic!.stopped).toBe(true);
    expect(stream.tracks.map((t) => t.id)).toEqual([cam!.id, 'mic2']);
  });

  it('keeps the old track running when asked (the camera while the screen is shared)', async () => {
    const stream = fakeStream('audio', 'video');
    const cam = stream.tracks[1]!;
    const screen = { kind: 'video', id: 'screen', stopped: false, stop() {} };
    const old = await session(stream).replaceTrack(screen as unknown as MediaStreamTrack, { keepOld: true });
    expect(old).toBe(cam);
    expect(cam.stopped).toBe(false);
    expect(stream.tracks.map((t) => t.id)).toEqual(['audio0', 'screen']);
  });
});
