import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { signUp, withBrowser } from './helpers.js';

const OUT = fileURLToPath(new URL('../../../docs/screenshots', import.meta.url));
/** A socket's (re)connection under the whole suite on two cores can take seconds: poll that long. */
const ONLINE_WAIT = { timeout: 15_000 };

/**
 * With the per-session socket cap at one, a second tab of the same browser (same session)
 * takes the socket and the first is closed with 4430. The first tab must say so plainly and
 * offer to reconnect here: the session is still good, so "log in again" would be wrong.
 */
describe('web: too many sockets on one session', { timeout: 120_000 }, () => {
  const setup = withBrowser({ overrides: { ws: { maxSocketsPerSession: 1 } } });

  it('the displaced tab says why and reconnects without a new login', async () => {
    const ann = await signUp(setup.browser, setup.server, 'Ann');
    const banner = ann.page.getByTestId('connection-banner');
    await expect.poll(() => banner.textContent(), ONLINE_WAIT).toBe('Online');

    const second = await ann.context.newPage();
    await second.goto('/');
    await expect
      .poll(() => second.getByTestId('connection-banner').textContent(), ONLINE_WAIT)
      .toBe('Online');

    await banner.filter({ hasText: 'open in too many windows or devices' }).waitFor();
    expect(await ann.page.getByRole('button', { name: 'Log in again' }).count()).toBe(0);

    // Reconnecting here displaces the other tab in turn; this one is online again, same session.
    await ann.page.getByRole('button', { name: 'Reconnect now' }).click();
    await expect.poll(() => banner.textContent(), ONLINE_WAIT).toBe('Online');
    await second
      .getByTestId('connection-banner')
      .filter({ hasText: 'open in too many windows or devices' })
      .waitFor();
    expect(new URL(ann.page.url()).pathname).not.toBe('/login');
    if (process.env.MYCHAT_SCREENSHOTS) {
      await second.setViewportSize({ width: 390, height: 780 });
      await second.screenshot({ path: path.join(OUT, 'too-many-sockets-phone-light.png') });
    }

    // The same in Chinese: both tabs switch language; the one reloaded last takes the socket.
    await ann.page.evaluate(() => localStorage.setItem('mychat.locale', 'zh-CN'));
    await ann.page.reload();
    await expect.poll(() => banner.textContent(), ONLINE_WAIT).toBe('在线');
    await second.reload();
    await banner.filter({ hasText: '打开的窗口或设备过多' }).waitFor();
    await ann.page.getByRole('button', { name: '立即重连' }).waitFor();
    await ann.context.close();
  });
});
