#!/usr/bin/env node
// Regenerates docs/screenshots/*.png from the built web app in real Chromium:
// sign-up, chat list, chat, contacts, My files and moments, light and dark, desktop and phone width.
// Usage: npm run screenshots (builds first).
import { spawnSync } from 'node:child_process';

const tests = [
  'packages/web/e2e/screenshots.test.ts',
  'packages/web/e2e/moments-screenshots.test.ts',
  'packages/web/e2e/first-hour-screenshots.test.ts',
  'packages/web/e2e/pictures-qr.test.ts',
  'packages/web/e2e/favorites.test.ts',
  'packages/web/e2e/editor-tools.test.ts',
];
const r = spawnSync('npx', ['vitest', 'run', ...tests], {
  stdio: 'inherit',
  env: { ...process.env, MYCHAT_SCREENSHOTS: '1' },
});
process.exit(r.status ?? 1);
