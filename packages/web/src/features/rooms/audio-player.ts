import type { Player } from '@mychat/sdk';

/**
 * A web <audio> as the SDK's playback controller drives it: positions in ms, the rate nudged
 * with the pitch kept, and a seek that resolves once the element has moved (so the controller
 * learns how long this browser's seeks take).
 */
export function audioPlayer(audio: HTMLAudioElement): Player {
  audio.preservesPitch = true;
  return {
    positionMs: () => audio.currentTime * 1000,
    seek: async (target) => {
      // A file still loading cannot seek yet: wait for it (not counted as seek time).
      if (audio.readyState < 3 && audio.src)
        await new Promise<void>((resolve) => {
          const ready = () => {
            clearTimeout(timer);
            audio.removeEventListener('canplay', ready);
            resolve();
          };
          const timer = setTimeout(ready, 10_000);
          audio.addEventListener('canplay', ready);
        });
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          audio.removeEventListener('seeked', done);
          resolve();
        };
        const timer = setTimeout(done, 3000);
        audio.addEventListener('seeked', done);
        audio.currentTime = target() / 1000;
      });
    },
    setRate: (r) => {
      audio.playbackRate = r;
    },
    rate: () => audio.playbackRate,
    play: () => void audio.play().catch(() => undefined),
    pause: () => audio.pause(),
    isPlaying: () => !audio.paused,
    // Without enough data to go on (also while waiting for a scheduled start: the room may
    // wait for this member then).
    isBuffering: () => Boolean(audio.src) && !audio.error && audio.readyState < 3,
  };
}
