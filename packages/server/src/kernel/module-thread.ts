import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread whose code is a module of this package, from the build (`.js`) or
 * from the TypeScript sources (the tests: its `.ts` files are transpiled as they load by
 * test/helpers/ts-thread-loader.mjs, a test tool the build never ships). `entry` is the
 * module's URL as `new URL('./x.js', import.meta.url)` names it; it reads `workerData.data`.
 */
export function moduleThread(entry: URL, data: unknown): Worker {
  const fromSources = import.meta.url.endsWith('.ts');
  const url = new URL(moduleHref(entry));
  const source = `
const { register } = require('node:module');
const { workerData } = require('node:worker_threads');
if (workerData.loader) register(workerData.loader);
import(workerData.entry).catch((err) => { process.nextTick(() => { throw err; }); });
`;
  return new Worker(source, {
    eval: true,
    workerData: {
      entry: url.href,
      loader: fromSources
        ? new URL('../../test/helpers/ts-thread-loader.mjs', import.meta.url).href
        : undefined,
      data,
    },
  });
}

/**
 * The URL a thread started by {@link moduleThread} imports a module of this package by (its
 * `.ts` file when running from the sources), `entry` named as `new URL('./x.js', import.meta.url)`.
 */
export function moduleHref(entry: URL): string {
  return import.meta.url.endsWith('.ts') ? entry.href.replace(/\.js$/, '.ts') : entry.href;
}
