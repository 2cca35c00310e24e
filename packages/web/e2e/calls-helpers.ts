import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { openChat, type Person } from './helpers.js';

const SHOTS = fileURLToPath(new URL('../../../docs/screenshots', import.meta.url));

/** With MYCHAT_SCREENSHOTS set: the page as docs/screenshots/{name}.png (a test run writes nothing). */
export async function docShot(page: Page, name: string): Promise<void> {
  if (process.env.MYCHAT_SCREENSHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

/** Frames the video element named `label` rendered within `ms` (requestVideoFrameCallback); -1 when absent. */
export function framesOf(page: Page, label: string, ms = 1500): Promise<number> {
  return page.evaluate(
    ({ label, ms }) =>
      new Promise<number>((resolve) => {
        const v = document.querySelector<HTMLVideoElement>(`video[aria-label="${label}"]`);
        if (!v) return resolve(-1);
        let n = 0;
        const count = () => {
          n++;
          v.requestVideoFrameCallback(count);
        };
        v.requestVideoFrameCallback(count);
        setTimeout(() => resolve(n), ms);
      }),
    { label, ms },
  );
}

/** The size of the frames the video element named `label` shows, "640x480" ("" when absent). */
export const videoSize = (page: Page, label: string): Promise<string> =>
  page.evaluate((label) => {
    const v = document.querySelector<HTMLVideoElement>(`video[aria-label="${label}"]`);
    return v ? `${v.videoWidth}x${v.videoHeight}` : '';
  }, label);

/**
 * `caller` opens the chat with `callee` and starts a video call; `callee` accepts on the sheet
 * (named `sheet`, its button `accept`, in the callee's language). Resolves once both call
 * screens show.
 */
export async function videoCall(
  caller: Person,
  callee: Person,
  names: { sheet: string; accept: string; callerScreen: string; calleeScreen: string },
) {
  await openChat(caller, callee.nickname);
  await caller.page.getByRole('button', { name: 'Video call' }).click();
  await callee.page
    .getByRole('dialog', { name: names.sheet })
    .getByRole('button', { name: names.accept })
    .click();
  const screenA = caller.page.getByRole('dialog', { name: names.callerScreen });
  const screenB = callee.page.getByRole('dialog', { name: names.calleeScreen });
  await screenA.waitFor();
  await screenB.waitFor();
  return { screenA, screenB };
}

/**
 * The loudest sample (0..1) of the audio the video element named `label` plays, over `ms`
 * (WebAudio on its stream; needs --autoplay-policy=no-user-gesture-required). -1 without audio.
 */
export function audioPeak(page: Page, label: string, ms = 2500): Promise<number> {
  return page.evaluate(
    ({ label, ms }) =>
      new Promise<number>((resolve) => {
        const v = document.querySelector<HTMLVideoElement>(`video[aria-label="${label}"]`);
        const stream = v?.srcObject as MediaStream | null;
        if (!stream?.getAudioTracks().length) return resolve(-1);
        const ctx = new AudioContext();
        const analyser = ctx.createAnalyser();
        ctx.createMediaStreamSource(stream).connect(analyser);
        const buf = new Float32Array(analyser.fftSize);
        let peak = 0;
        const timer = setInterval(() => {
          analyser.getFloatTimeDomainData(buf);
          for (const x of buf) peak = Math.max(peak, Math.abs(x));
        }, 20);
        setTimeout(() => {
          clearInterval(timer);
          void ctx.close();
          resolve(peak);
        }, ms);
      }),
    { label, ms },
  );
}
