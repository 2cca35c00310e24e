import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { docShot, framesOf, videoCall, videoSize } from './calls-helpers.js';
import { befriend, messageLog, openChat, signUp, withBrowser } from './helpers.js';

const PHONE = { width: 390, height: 844 };
const POLL = { timeout: 20_000, interval: 500 };

/** The options of a device list: value (device id) and text. */
const optionsOf = (page: Page, name: string) =>
  page
    .getByRole('combobox', { name })
    .locator('option')
    .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));

/** The device id of the local track of `kind` (what this device sends now). */
const sending = (page: Page, label: string, kind: 'audio' | 'video') =>
  page.evaluate(
    ({ label, kind }) => {
      const v = document.querySelector<HTMLVideoElement>(`video[aria-label="${label}"]`);
      const t = (v?.srcObject as MediaStream | null)?.getTracks().find((x) => x.kind === kind);
      return t ? `${t.getSettings().deviceId ?? ''}:${t.enabled}:${t.readyState}` : '';
    },
    { label, kind },
  );

/**
 * Everything in a call besides connecting it (calls.test.ts does that): the local
 * picture-in-picture, the quality indicator, switching microphone and camera, the speaker
 * (hidden where the browser cannot route audio), screen sharing seen by the other side, the way
 * back after a reload, and a clear reason when the microphone or camera is refused.
 */
describe('web: in a call', { timeout: 300_000 }, () => {
  // Three fake cameras, so there is one to switch to (Chromium's second fake camera gives 16-bit
  // depth frames that WebRTC cannot send; the third gives MJPEG); the screen picker picks the
  // whole screen.
  const setup = withBrowser({
    args: [
      '--use-fake-device-for-media-stream=device-count=3',
      '--use-fake-ui-for-media-stream',
      '--auto-select-desktop-capture-source=Entire screen',
    ],
  });

  it('shows the local view, quality, devices, speaker and screen sharing, and rejoins after a reload', async () => {
    const ann = await signUp(setup.browser, setup.server, 'Cleo');
    const bob = await signUp(setup.browser, setup.server, 'Dion', { viewport: PHONE, colorScheme: 'dark' });
    await befriend(ann, bob);
    // Dion's browser cannot choose where audio plays (no HTMLMediaElement.setSinkId).
    await bob.context.addInitScript(() => {
      delete (HTMLMediaElement.prototype as { setSinkId?: unknown }).setSinkId;
    });
    await bob.page.evaluate(() => localStorage.setItem('mychat.locale', 'zh-CN'));
    await bob.page.reload();
    const { screenA, screenB } = await videoCall(ann, bob, {
      sheet: '视频通话邀请',
      accept: '接听',
      callerScreen: 'Call with Dion',
      calleeScreen: '与 Cleo 通话',
    });
    await expect.poll(() => framesOf(bob.page, 'Cleo'), POLL).toBeGreaterThan(5);
    await expect.poll(() => framesOf(ann.page, 'Dion'), POLL).toBeGreaterThan(5);

    // The local camera plays in a small view at the right, on desktop and on a phone.
    for (const [p, region, label] of [
      [ann, 'Your camera', 'You'],
      [bob, '我的摄像头', '我'],
    ] as const) {
      const box = (await p.page.getByRole('region', { name: region }).boundingBox())!;
      const vp = p.page.viewportSize()!;
      expect(box.width * box.height).toBeLessThan((vp.width * vp.height) / 8);
      expect(box.x + box.width / 2).toBeGreaterThan(vp.width / 2);
      expect(await framesOf(p.page, label)).toBeGreaterThan(3);
    }

    // The connection quality of each other participant, from getStats.
    await screenA.getByRole('status', { name: /^(Good|Fair|Poor) connection$/ }).waitFor();
    await screenB.getByRole('status', { name: /^网络(良好|一般|较差)$/ }).waitFor();
    await docShot(bob.page, 'call-phone-zh-dark');

    // Another microphone while muted: the new one is sent, and still muted.
    await screenA.getByRole('button', { name: 'Mute microphone' }).click();
    const mics = await optionsOf(ann.page, 'Microphone');
    const mic = (await sending(ann.page, 'You', 'audio')).split(':')[0];
    const otherMic = mics.find((m) => m !== mic)!;
    expect(otherMic).toBeTruthy();
    await screenA.getByRole('combobox', { name: 'Microphone' }).selectOption(otherMic);
    await expect.poll(() => sending(ann.page, 'You', 'audio'), POLL).toBe(`${otherMic}:false:live`);
    await screenA.getByRole('button', { name: 'Unmute microphone' }).click();
    expect(await sending(ann.page, 'You', 'audio')).toBe(`${otherMic}:true:live`);

    // Another camera: sent, and the other side keeps playing it.
    const cams = await optionsOf(bob.page, '摄像头');
    expect(cams).toHaveLength(3);
    const other = cams[2]!;
    expect((await sending(bob.page, '我', 'video')).startsWith(other)).toBe(false);
    await screenB.getByRole('combobox', { name: '摄像头' }).selectOption(other);
    await expect.poll(() => sending(bob.page, '我', 'video'), POLL).toBe(`${other}:true:live`);
    await expect.poll(() => framesOf(ann.page, 'Dion'), POLL).toBeGreaterThan(5);

    // The speaker: chosen on Cleo's side, where the browser can route audio; not offered to Dion.
    const speakers = await optionsOf(ann.page, 'Speaker');
    expect(speakers.length).toBeGreaterThan(1);
    await screenA.getByRole('combobox', { name: 'Speaker' }).selectOption(speakers[1]!);
    await expect
      .poll(() =>
        ann.page.evaluate(
          () =>
            (document.querySelector('video[aria-label="Dion"]') as HTMLVideoElement & { sinkId: string })
              .sinkId,
        ),
      )
      .toBe(speakers[1]);
    await screenB.getByRole('combobox', { name: '麦克风' }).waitFor();
    expect(await screenB.getByRole('combobox', { name: '扬声器' }).count()).toBe(0);

    // Screen sharing: Dion's video of Cleo now shows the screen (its size), then the camera again.
    const camSize = await videoSize(bob.page, 'Cleo');
    await screenA.getByRole('button', { name: 'Share screen' }).click();
    await screenA.getByRole('button', { name: 'Stop sharing the screen', pressed: true }).waitFor();
    await expect.poll(() => videoSize(bob.page, 'Cleo'), POLL).not.toBe(camSize);
    await expect.poll(() => framesOf(bob.page, 'Cleo'), POLL).toBeGreaterThan(5);
    await docShot(ann.page, 'call-sharing-desktop');
    await screenA.getByRole('button', { name: 'Stop sharing the screen' }).click();
    await screenA.getByRole('button', { name: 'Share screen', pressed: false }).waitFor();
    await expect.poll(() => videoSize(bob.page, 'Cleo'), POLL).toBe(camSize);
    await expect.poll(() => framesOf(bob.page, 'Cleo'), POLL).toBeGreaterThan(5);

    // A reload in the call: the way back, and both sides play again.
    await bob.page.reload();
    const back = bob.page.getByRole('alertdialog', { name: '你仍在通话中。' });
    await back.waitFor();
    await docShot(bob.page, 'call-rejoin-phone-zh-dark');
    await back.getByRole('button', { name: '回到通话' }).click();
    await screenB.waitFor();
    await expect.poll(() => framesOf(bob.page, 'Cleo'), POLL).toBeGreaterThan(5);
    await expect.poll(() => framesOf(ann.page, 'Dion'), POLL).toBeGreaterThan(5);

    await screenB.getByRole('button', { name: '挂断' }).click();
    await screenA.waitFor({ state: 'detached' });
    await screenB.waitFor({ state: 'detached' });
  });

  it('says why when the microphone or camera is refused, on calling and on answering', async () => {
    const ann = await signUp(setup.browser, setup.server, 'Edda');
    const bob = await signUp(setup.browser, setup.server, 'Finn');
    await befriend(ann, bob);
    // As when the person (or the site settings) refuse the permission prompt; and the ringtone's
    // tones counted.
    await ann.context.addInitScript(() => {
      navigator.mediaDevices.getUserMedia = () =>
        Promise.reject(new DOMException('refused', 'NotAllowedError'));
      const w = window as unknown as { tones: number };
      const make = AudioContext.prototype.createOscillator;
      w.tones = 0;
      AudioContext.prototype.createOscillator = function (this: AudioContext) {
        w.tones++;
        return make.call(this);
      };
    });
    const tones = () => ann.page.evaluate(() => (window as unknown as { tones: number }).tones);
    await ann.page.reload();
    await openChat(ann, 'Finn');
    await ann.page.getByRole('button', { name: 'Video call' }).click();
    const why = ann.page.getByRole('alertdialog', { name: /^MyChat may not use your microphone or camera/ });
    await why.waitFor();
    await docShot(ann.page, 'call-permission-desktop');
    expect(await ann.page.getByRole('dialog', { name: /^Call with/ }).count()).toBe(0);
    await why.getByRole('button', { name: 'OK' }).click();
    await why.waitFor({ state: 'detached' });

    // Finn calls; Edda's answer cannot start the camera: the reason, and the call is declined.
    await openChat(bob, 'Edda');
    await bob.page.getByRole('button', { name: 'Video call' }).click();
    await ann.page.emulateMedia({ colorScheme: 'dark' });
    const sheet = ann.page.getByRole('dialog', { name: 'Incoming video call' });
    await sheet.getByText('Finn').waitFor();
    await docShot(ann.page, 'call-incoming-desktop-dark');
    // The ringtone plays while the sheet shows (two tones every 2 s)...
    await expect.poll(tones, POLL).toBeGreaterThanOrEqual(4);
    await sheet.getByRole('button', { name: 'Accept' }).click();
    await why.waitFor();
    // ...and stops with it.
    const rung = await tones();
    await ann.page.waitForTimeout(2500);
    expect(await tones()).toBe(rung);
    await bob.page.getByRole('dialog', { name: 'Call with Edda' }).waitFor({ state: 'detached' });
    await messageLog(bob).getByText('Video call declined').waitFor();
  });
});
