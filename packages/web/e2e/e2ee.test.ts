import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { benchDist } from './bench-build.js';
import { shot, startEncrypted } from './e2ee-helpers.js';
import { friendsOnTwoScreens, newPage, type Person, startWebServer, withBrowser } from './helpers.js';
import { picture } from './pictures.js';

const log = (p: Person) => p.page.getByRole('log', { name: 'Messages' });

/** The 60 digits shown in the safety number dialog. */
async function digits(p: Person): Promise<string> {
  await p.page.getByRole('button', { name: 'Safety number' }).first().click();
  const group = p.page
    .getByRole('dialog', { name: 'Safety number' })
    .getByRole('group', { name: 'Safety number' });
  await group.waitFor();
  return (await group.innerText()).replace(/\D/g, '');
}

/** What IndexedDB holds for this browser's device key. */
function storedDeviceKey(page: Page) {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('mychat-e2ee');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const store = db.transaction('keys').objectStore('keys');
    const keys = await new Promise<IDBValidKey[]>((resolve) => {
      const req = store.getAllKeys();
      req.onsuccess = () => resolve(req.result);
    });
    const name = keys.find((k) => String(k).endsWith('/device'))!;
    const value = await new Promise<{ pair: { key?: CryptoKey; priv?: Uint8Array } }>((resolve) => {
      const req = db.transaction('keys').objectStore('keys').get(name);
      req.onsuccess = () => resolve(req.result as { pair: { key?: CryptoKey; priv?: Uint8Array } });
    });
    db.close();
    const k = value.pair.key;
    return { cryptoKey: k instanceof CryptoKey, extractable: k?.extractable, bytes: !!value.pair.priv };
  });
}

/** The opened bodies this browser keeps in IndexedDB: how many, and all their bytes as text. */
function storedOpened(page: Page) {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('mychat-e2ee');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const all = <T>(req: IDBRequest<T>) =>
      new Promise<T>((resolve) => {
        req.onsuccess = () => resolve(req.result);
      });
    const store = db.transaction('keys').objectStore('keys');
    const [keys, values] = await Promise.all([all(store.getAllKeys()), all(store.getAll())]);
    db.close();
    const latin1 = (u: Uint8Array) => String.fromCharCode(...u);
    const text = JSON.stringify(values, (_k, v: unknown) => (v instanceof Uint8Array ? latin1(v) : v));
    return { entries: keys.filter((k) => String(k).includes('/opened/')).length, text };
  });
}

/**
 * Encrypted chats in two real Chromium pages against a real server: setup with and without a
 * backup, text and a photo both ways, safety numbers compared and marked verified.
 */
describe('web: encrypted chats', { timeout: 180_000 }, () => {
  const setup = withBrowser();

  it('two people start an encrypted chat, verify each other, and exchange text and a photo', async () => {
    const [ann, bob] = await friendsOnTwoScreens(setup);

    // Bob turns it on with a backup passphrase; the words about what is lost are on screen.
    await startEncrypted(bob.page, 'Ann');
    await bob.page.getByText('your past encrypted messages are gone for good').waitFor();
    await shot(bob.page, 'e2ee-setup-phone-dark');
    await bob.page.getByLabel('Backup passphrase').fill('amber-birch-cobalt-dune');
    await bob.page.getByRole('button', { name: 'Turn on', exact: true }).click();
    await bob.page.getByRole('textbox', { name: 'Encrypted message' }).waitFor();
    // The device key sits in IndexedDB as a CryptoKey that cannot be exported.
    expect(await storedDeviceKey(bob.page)).toEqual({ cryptoKey: true, extractable: false, bytes: false });

    // Ann turns it on without one.
    await startEncrypted(ann.page, 'Bob');
    await ann.page.getByRole('button', { name: 'Turn on without a backup' }).click();
    const annBox = ann.page.getByRole('textbox', { name: 'Encrypted message' });
    await annBox.fill('Meet at the old bridge');
    await annBox.press('Enter');
    await log(ann).getByText('Meet at the old bridge').waitFor();
    await log(bob).getByText('Meet at the old bridge').waitFor({ timeout: 20_000 });

    const bobBox = bob.page.getByRole('textbox', { name: 'Encrypted message' });
    await bobBox.fill('See you at six');
    await bobBox.press('Enter');
    await log(ann).getByText('See you at six').waitFor({ timeout: 20_000 });

    // A photo, encrypted in the browser before upload, opens on the other side.
    await ann.page.getByLabel('Send a photo').setInputFiles({
      name: 'bridge.png',
      mimeType: 'image/png',
      buffer: await picture('lake', 320, 210),
    });
    await log(bob).getByRole('img', { name: 'bridge.png' }).waitFor({ timeout: 20_000 });
    await shot(ann.page, 'e2ee-chat-desktop-light');
    await shot(bob.page, 'e2ee-chat-phone-dark');

    // Safety numbers: the same 60 digits on both sides; marking verified shows it.
    const [a, b] = [await digits(ann), await digits(bob)];
    expect(a).toMatch(/^\d{60}$/);
    expect(b).toBe(a);
    await shot(ann.page, 'e2ee-safety-desktop-light');
    await ann.page.getByRole('button', { name: 'Mark as verified' }).click();
    await ann.page.getByText(/End-to-end encrypted · Verified/).waitFor();
    const bobDialog = bob.page.getByRole('dialog', { name: 'Safety number' });
    await bobDialog.getByLabel('Paste a scanned code').fill('mychat-sn:1:123:1:2');
    await bobDialog.getByRole('button', { name: 'Mark as verified' }).click();
    await bobDialog.getByText('That code does not match').waitFor();

    // What Bob opened is kept in IndexedDB under a local key: entries, never the text; the
    // chat reopens from them.
    const kept = await storedOpened(bob.page);
    expect(kept.entries).toBeGreaterThanOrEqual(3);
    expect(kept.text).not.toContain('old bridge');
    expect(kept.text).not.toContain('at six');
    await bob.page.reload();
    await log(bob).getByText('Meet at the old bridge').waitFor({ timeout: 20_000 });
    await log(bob).getByText('See you at six').waitFor();
    // Signing out deletes them (and their local key); the device key stays for the next sign-in.
    await bob.page.goto('/me');
    await bob.page.getByRole('button', { name: 'Log out' }).click();
    await bob.page.waitForURL(/\/login/);
    // The login page may still be loading (a read then finds its context gone): ask until it answers.
    await expect
      .poll(async () => (await storedOpened(bob.page).catch(() => undefined))?.entries, { timeout: 15_000 })
      .toBe(0);
    expect(await storedDeviceKey(bob.page)).toEqual({ cryptoKey: true, extractable: false, bytes: false });
  });

  it('seals a message for 2 devices on each side in a few milliseconds (measured, not asserted)', async () => {
    const bench = await startWebServer({ web: { dir: await benchDist() } });
    try {
      const { context, page } = await newPage(setup.browser, bench);
      await page.goto('/dev/e2ee');
      await page.waitForFunction(() => (window as unknown as { benchResult?: unknown }).benchResult, null, {
        timeout: 60_000,
      });
      const result = await page.evaluate(() => (window as unknown as { benchResult: unknown }).benchResult);
      console.log(`e2ee seal in Chromium: ${JSON.stringify(result)}`);
      expect(result).toHaveProperty('fourDevices.mean');
      await context.close();
    } finally {
      await bench.stop();
    }
  });
});
