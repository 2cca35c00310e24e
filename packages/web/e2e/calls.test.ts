import { describe, expect, it } from 'vitest';
import { audioPeak, docShot, framesOf } from './calls-helpers.js';
import { befriend, FAKE_MEDIA, messageLog, openChat, signUp, withBrowser } from './helpers.js';

const POLL = { timeout: 20_000, interval: 500 };

/**
 * Two Chromium pages with fake cameras and microphones call each other: the callee's sheet
 * rings, accepting connects WebRTC, each side's remote video plays frames, muting silences the
 * audio the other side hears, and hanging up closes both call screens and leaves the call record
 * in the chat.
 */
describe('web: voice and video calls', { timeout: 180_000 }, () => {
  const setup = withBrowser({ args: [...FAKE_MEDIA, '--autoplay-policy=no-user-gesture-required'] });

  it('calls, answers, plays the remote video on both sides, mutes and hangs up', async () => {
    const ann = await signUp(setup.browser, setup.server, 'Ann');
    const bob = await signUp(setup.browser, setup.server, 'Bob');
    await befriend(ann, bob);
    await openChat(ann, 'Bob');
    await ann.page.getByRole('button', { name: 'Video call' }).click();
    const screenA = ann.page.getByRole('dialog', { name: 'Call with Bob' });
    await screenA.waitFor();
    await screenA.getByRole('timer').getByText('Ringing…').waitFor();

    const sheet = bob.page.getByRole('dialog', { name: 'Incoming video call' });
    await sheet.getByText('Ann').waitFor();
    await sheet.getByRole('button', { name: 'Accept' }).click();
    const screenB = bob.page.getByRole('dialog', { name: 'Call with Ann' });
    await screenB.waitFor();
    await sheet.waitFor({ state: 'detached' });

    // The remote video plays on both sides (Chromium's fake camera: a moving pattern).
    await expect.poll(() => framesOf(bob.page, 'Ann'), { timeout: 20_000, interval: 500 }).toBeGreaterThan(5);
    await expect.poll(() => framesOf(ann.page, 'Bob'), { timeout: 20_000, interval: 500 }).toBeGreaterThan(5);
    await screenA
      .getByRole('timer')
      .getByText(/^\d\d:\d\d$/)
      .waitFor();
    await docShot(ann.page, 'call-desktop');

    // Bob's microphone (Chromium's fake one beeps) is heard on Ann's side until he mutes it.
    await expect.poll(() => audioPeak(ann.page, 'Bob'), POLL).toBeGreaterThan(0.05);
    const mute = screenB.getByRole('button', { name: 'Mute microphone' });
    await mute.click();
    await screenB.getByRole('button', { name: 'Unmute microphone', pressed: true }).waitFor();
    await expect.poll(() => audioPeak(ann.page, 'Bob'), POLL).toBeLessThan(0.01);

    await screenA.getByRole('button', { name: 'Hang up' }).click();
    await screenA.waitFor({ state: 'detached' });
    await screenB.waitFor({ state: 'detached' });
    await messageLog(ann)
      .getByText(/^Video call \d\d:\d\d$/)
      .waitFor();
    await openChat(bob, 'Ann');
    await messageLog(bob)
      .getByText(/^Video call \d\d:\d\d$/)
      .waitFor();
  });

  it('rings on a phone-sized screen in Chinese, and a decline leaves a declined record', async () => {
    const ann = await signUp(setup.browser, setup.server, 'Ann2');
    const bob = await signUp(setup.browser, setup.server, 'Bob2', {
      viewport: { width: 390, height: 844 },
    });
    await befriend(ann, bob);
    await bob.page.evaluate(() => localStorage.setItem('mychat.locale', 'zh-CN'));
    await bob.page.reload();
    await openChat(ann, 'Bob2');
    await ann.page.getByRole('button', { name: 'Voice call' }).click();
    const sheet = bob.page.getByRole('dialog', { name: '语音通话邀请' });
    await sheet.waitFor();
    await docShot(bob.page, 'call-incoming-phone-zh');
    await sheet.getByRole('button', { name: '拒绝' }).click();
    await ann.page.getByRole('dialog', { name: 'Call with Bob2' }).waitFor({ state: 'detached' });
    await messageLog(ann).getByText('Voice call declined').waitFor();
  });
});
