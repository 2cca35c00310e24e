import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { startTestServer, type TestServer } from '../../server/test/helpers/test-server.js';

/** The built web app (npm run build writes it; the root `npm test` builds first). */
export const WEB_DIST = fileURLToPath(new URL('../dist', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const PASSWORD = 'correct horse battery 9';

/** Fails with a clear message when the app or the browser is missing. */
export function requireBuild(): void {
  if (!fs.existsSync(path.join(WEB_DIST, 'index.html')))
    throw new Error(`the web app is not built (${WEB_DIST} has no index.html): run \`npm run build\` first`);
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
}

/** Chromium flags for recording: a fake microphone (a beeping tone) that needs no permission prompt. */
export const FAKE_MEDIA = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'];

export function launch(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

/** A real server (every module) that also serves the built web app. */
export function startWebServer(overrides: Record<string, unknown> = {}): Promise<TestServer> {
  requireBuild();
  return startTestServer({
    overrides: {
      web: { dir: WEB_DIST },
      ws: { presenceDebounceMs: 300 },
      message: { sendBurst: 1000, sendRatePerSecond: 1000 },
      ...overrides,
    },
  });
}

/** The server and browser of one test file, set once its beforeAll has run. */
export interface BrowserSetup {
  server: TestServer;
  browser: Browser;
}

/**
 * Registers the beforeAll/afterAll of a browser test file: a web server (with these overrides)
 * and a Chromium (with these extra flags), both closed at the end. Read the fields inside tests.
 */
export function withBrowser(
  opts: { overrides?: Record<string, unknown>; args?: string[] } = {},
): BrowserSetup {
  const setup = {} as BrowserSetup;
  beforeAll(async () => {
    setup.server = await startWebServer(opts.overrides);
    setup.browser = await launch(opts.args);
  });
  afterAll(async () => {
    await setup.browser?.close();
    await setup.server?.stop();
  });
  return setup;
}

let n = 0;
export const uniqueEmail = (name: string) =>
  `${name.toLowerCase().replace(/[^a-z0-9]/g, '') || 'user'}-${process.pid}-${Date.now()}-${n++}@example.com`;

export interface Person {
  context: BrowserContext;
  page: Page;
  email: string;
  nickname: string;
}

export async function newPage(
  browser: Browser,
  server: TestServer,
  opts: {
    locale?: string;
    viewport?: { width: number; height: number };
    colorScheme?: 'light' | 'dark';
  } = {},
) {
  const context = await browser.newContext({
    baseURL: server.baseUrl,
    locale: opts.locale ?? 'en-US',
    viewport: opts.viewport ?? { width: 1200, height: 800 },
    colorScheme: opts.colorScheme ?? 'light',
    serviceWorkers: 'block',
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  return { context, page };
}

/** Signs a new person up through the form, as a person would (English UI). */
export async function signUp(
  browser: Browser,
  server: TestServer,
  nickname: string,
  opts: Parameters<typeof newPage>[2] = {},
): Promise<Person> {
  const { context, page } = await newPage(browser, server, opts);
  const email = uniqueEmail(nickname);
  await page.goto('/register');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Nickname').fill(nickname);
  await page.getByRole('button', { name: 'Send code' }).click();
  await page.getByLabel('Verification code').fill(await server.codeFor(email));
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('navigation', { name: 'Main navigation' }).waitFor();
  return { context, page, email, nickname };
}

/** A asks B to be friends through Contacts; B accepts. Both end up with a 1:1 chat. */
export async function befriend(a: Person, b: Person): Promise<void> {
  await a.page.getByRole('link', { name: 'Contacts' }).click();
  await a.page.getByRole('searchbox', { name: 'Find people' }).fill(b.email);
  await a.page.getByRole('button', { name: 'Search' }).click();
  await a.page.getByRole('button', { name: `Add friend: ${b.nickname}` }).click();
  await a.page.getByText('Request sent').waitFor();

  await b.page.getByRole('link', { name: /^Contacts/ }).click();
  await b.page.getByRole('button', { name: `Accept: ${a.nickname}` }).click();
  await b.page.getByRole('region', { name: 'Friends' }).getByRole('link', { name: a.nickname }).waitFor();
}

/** Opens the chat with `name` from the chat list. */
export async function openChat(p: Person, name: string): Promise<void> {
  await p.page.getByRole('link', { name: /^Chats/ }).click();
  await p.page
    .getByRole('list', { name: 'Chat list' })
    .getByRole('link', { name: new RegExp(`^${name}`) })
    .click();
  await p.page.getByRole('textbox', { name: 'Message' }).waitFor();
}

export async function send(p: Person, text: string): Promise<void> {
  const box = p.page.getByRole('textbox', { name: 'Message' });
  await box.fill(text);
  await box.press('Enter');
}

export const messageLog = (p: Person) => p.page.getByRole('log', { name: 'Messages' });

/** Ann on a desktop and Bob on a phone in dark mode, signed up and friends. */
export async function friendsOnTwoScreens(setup: BrowserSetup): Promise<[Person, Person]> {
  const [ann, bob] = await Promise.all([
    signUp(setup.browser, setup.server, 'Ann'),
    signUp(setup.browser, setup.server, 'Bob', {
      viewport: { width: 390, height: 844 },
      colorScheme: 'dark',
    }),
  ]);
  await befriend(ann, bob);
  return [ann, bob];
}
