import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  befriend,
  openChat,
  PASSWORD,
  send,
  signUp,
  uniqueEmail,
  withBrowser,
  type Person,
} from './helpers.js';

const OUT = fileURLToPath(new URL('../../../docs/screenshots', import.meta.url));

/**
 * Web Push in the service worker. Chromium here cannot reach a real push service, so the test
 * delivers pushes to the service worker through the DevTools protocol
 * (ServiceWorker.deliverPushMessage), then reads the notifications it showed and clicks one
 * (a notificationclick dispatched in the worker), as the browser would.
 */
describe('web: push notifications in the service worker', { timeout: 120_000 }, () => {
  const setup = withBrowser();

  /** A person whose context lets the app's service worker run, with notifications allowed. */
  async function withWorker(nickname: string): Promise<Person> {
    const context = await setup.browser.newContext({
      baseURL: setup.server.baseUrl,
      locale: 'en-US',
      viewport: { width: 1200, height: 800 },
      serviceWorkers: 'allow',
    });
    await context.grantPermissions(['notifications'], { origin: setup.server.baseUrl });
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
    const email = uniqueEmail(nickname);
    await page.goto('/register');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Nickname').fill(nickname);
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByLabel('Verification code').fill(await setup.server.codeFor(email));
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByRole('navigation', { name: 'Main navigation' }).waitFor();
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    return { context, page, email, nickname };
  }

  /**
   * Delivers `payload` as a push to the app's service worker registration, once it has an
   * activated worker (DevTools drops a push for a registration that is not ready, silently).
   * Returns the DevTools session, for the caller to detach once the push was handled.
   */
  async function deliver(context: BrowserContext, page: Page, payload: Record<string, unknown>) {
    const cdp = await context.newCDPSession(page);
    const registrations: { registrationId: string; scopeURL: string }[] = [];
    const activated = new Set<string>();
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e: { registrations: typeof registrations }) =>
      registrations.push(...e.registrations),
    );
    cdp.on(
      'ServiceWorker.workerVersionUpdated',
      (e: { versions: { registrationId: string; status: string }[] }) => {
        for (const v of e.versions) if (v.status === 'activated') activated.add(v.registrationId);
      },
    );
    await cdp.send('ServiceWorker.enable');
    const ours = () => registrations.find((r) => r.scopeURL.startsWith(setup.server.baseUrl));
    for (let i = 0; i < 400 && !(ours() && activated.has(ours()!.registrationId)); i++)
      await page.waitForTimeout(50);
    const reg = ours();
    expect(reg).toBeTruthy();
    expect(activated.has(reg!.registrationId)).toBe(true);
    await cdp.send('ServiceWorker.deliverPushMessage', {
      origin: setup.server.baseUrl,
      registrationId: reg!.registrationId,
      data: JSON.stringify(payload),
    });
    return cdp;
  }

  const notifications = (page: Page) =>
    page.evaluate(async () =>
      (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({
        title: n.title,
        body: n.body,
        tag: n.tag,
      })),
    );

  type Shown = Awaited<ReturnType<typeof notifications>>;

  /**
   * Delivers `payload` and waits up to 10 s for `done` to hold of the notifications shown. The
   * DevTools delivery is not the browser's push service (which retries) and has none of its own:
   * now and then a delivery to a running, activated worker vanished (no notification in 60 s,
   * CI of 2026-12-07; a second delivery needed in 2-4 runs of 20 on a quiet machine; not seen once
   * the test had evaluated code in the worker first, cause not found), so an unanswered delivery
   * is sent again, twice at most, with a note. What is shown is checked by the caller as before: a
   * worker that shows nothing fails all three.
   */
  async function push(p: Person, payload: Record<string, unknown>, done: (n: Shown) => boolean) {
    let got: Shown = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      if (attempt > 1) console.warn(`push test: delivery ${attempt} of ${String(payload.kind)}`);
      const cdp = await deliver(p.context, p.page, payload);
      try {
        for (let i = 0; i < 200; i++) {
          got = await notifications(p.page);
          if (done(got)) return got;
          await p.page.waitForTimeout(50);
        }
      } finally {
        await cdp.detach();
      }
    }
    return got;
  }

  it('shows a pushed message, opens its conversation on a click, and closes it on a clear', async () => {
    const ann = await withWorker('Ann');
    const bob = await signUp(setup.browser, setup.server, 'Bob');
    await befriend(bob, ann);
    await openChat(bob, 'Ann');
    await send(bob, 'hello');
    const conv = new URL(bob.page.url()).pathname.replace('/chat/', '');

    // Settings: the notifications section, its permission state and the device list.
    await ann.page.goto('/settings');
    const section = ann.page.getByRole('region', { name: 'Notifications when MyChat is closed' });
    await section.getByRole('status').filter({ hasText: 'This browser may show notifications.' }).waitFor();
    await expect(section.getByRole('checkbox', { name: /Notify this device/ }).isChecked()).resolves.toBe(
      false,
    );
    await expect(section.getByRole('button', { name: 'Send a test' }).isDisabled()).resolves.toBe(true);
    await section.getByText('No device rings yet.').waitFor();
    await section.getByRole('checkbox', { name: /Do not disturb/ }).check();
    await section.getByLabel('From').waitFor();
    await section.getByLabel('Time zone').waitFor();

    const message = {
      v: 1,
      kind: 'message',
      conversationId: conv,
      direct: true,
      from: 'Bob',
      count: 1,
      unread: 1,
      url: `/chat/${conv}`,
      at: Date.now(),
    };
    expect(await push(ann, message, (n) => n.length > 0)).toEqual([
      { title: 'Bob', body: 'New message from Bob', tag: `c:${conv}` },
    ]);

    // The click: the open window is asked to open the conversation.
    const worker = ann.context.serviceWorkers()[0]!;
    await worker.evaluate(async () => {
      const sw = self as unknown as ServiceWorkerGlobalScope;
      const [n] = await sw.registration.getNotifications();
      sw.dispatchEvent(new NotificationEvent('notificationclick', { notification: n! }));
    });
    await ann.page.waitForURL(`**/chat/${conv}`);
    await ann.page.getByRole('textbox', { name: 'Message' }).waitFor();
    expect(await notifications(ann.page)).toEqual([]);

    // A clear (the conversation was read on another device) closes its notifications. Another
    // conversation than the one just opened: this page's own read of that one, which may reach the
    // worker late on a loaded machine, closes its notifications too and would race the clear.
    await ann.page.goto('/settings');
    await ann.page.getByRole('heading', { name: 'Settings' }).waitFor();
    const other = `${conv}9`;
    const twoNew = { ...message, conversationId: other, url: `/chat/${other}`, count: 2 };
    expect(await push(ann, twoNew, (n) => n.length > 0)).toEqual([
      { title: 'Bob', body: '2 new messages', tag: `c:${other}` },
    ]);
    const clear = { v: 1, kind: 'clear', conversationId: other, url: `/chat/${other}`, at: Date.now() };
    expect(await push(ann, clear, (n) => n.length === 0)).toEqual([]);

    // In Chinese once the app's language is Chinese.
    await ann.page.getByLabel('Language').selectOption('zh-CN');
    await ann.page.getByRole('heading', { name: '设置' }).waitFor();
    await ann.page.waitForTimeout(200);
    const mention = { ...message, direct: false, group: '徒步', mention: true };
    expect(await push(ann, mention, (n) => n.length > 0)).toEqual([
      { title: '徒步', body: 'Bob 提到了你', tag: `c:${conv}` },
    ]);

    if (process.env.MYCHAT_SCREENSHOTS) {
      await ann.page.getByLabel('语言').selectOption('en');
      await ann.page.getByRole('region', { name: 'Notifications when MyChat is closed' }).waitFor();
      for (const scheme of ['light', 'dark'] as const) {
        await ann.page.emulateMedia({ colorScheme: scheme });
        for (const [size, vp] of [
          ['desktop', { width: 1200, height: 900 }],
          ['phone', { width: 390, height: 1100 }],
        ] as const) {
          await ann.page.setViewportSize(vp);
          await ann.page.waitForTimeout(300);
          await ann.page.screenshot({ path: path.join(OUT, `push-settings-${size}-${scheme}.png`) });
        }
      }
    }
    await ann.context.close();
    await bob.context.close();
  });
});
