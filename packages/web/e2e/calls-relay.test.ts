import { afterAll, describe, expect, it } from 'vitest';
import { hasCoturn, startCoturn } from '../../server/test/helpers/coturn.js';
import { framesOf } from './calls-helpers.js';
import { befriend, FAKE_MEDIA, openChat, signUp, withBrowser } from './helpers.js';

const SECRET = 'relay-test-secret';
const turn = hasCoturn ? await startCoturn(SECRET) : undefined;

/**
 * A call whose media can only go through TURN (iceTransportPolicy "relay": no host or server
 * reflexive candidates) via a local coturn, with credentials MyChat minted: the remote video
 * still plays, so the relay path and the credentials work end to end.
 */
describe.skipIf(!turn)('web: a call relayed through coturn', { timeout: 180_000 }, () => {
  const setup = withBrowser({
    args: FAKE_MEDIA,
    overrides: turn && {
      calls: { turnUrls: [`turn:127.0.0.1:${turn.port}?transport=udp`], turnSecret: SECRET },
    },
  });
  afterAll(() => turn?.stop());

  it('connects relay-only and plays the remote video', async () => {
    const ann = await signUp(setup.browser, setup.server, 'Ria');
    const bob = await signUp(setup.browser, setup.server, 'Rob');
    await befriend(ann, bob);
    for (const p of [ann, bob])
      await p.page.evaluate(() => localStorage.setItem('mychat.calls.relayOnly', '1'));
    await openChat(ann, 'Rob');
    await ann.page.getByRole('button', { name: 'Video call' }).click();
    await bob.page
      .getByRole('dialog', { name: 'Incoming video call' })
      .getByRole('button', { name: 'Accept' })
      .click();
    await bob.page.getByRole('dialog', { name: 'Call with Ria' }).waitFor();
    const frames = () => framesOf(bob.page, 'Ria');
    await expect.poll(frames, { timeout: 30_000, interval: 500 }).toBeGreaterThan(5);
    await ann.page.getByRole('button', { name: 'Hang up' }).click();
    await bob.page.getByRole('dialog', { name: 'Call with Ria' }).waitFor({ state: 'detached' });
  });
});
