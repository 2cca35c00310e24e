import type { MyChatClient } from '@mychat/sdk';

let current: MyChatClient | undefined;

/**
 * Hands the stores their SDK client. The app passes its one browser client at start-up; a store
 * test passes its own, so the stores run without IndexedDB, a page origin or a network.
 */
export function provideClient(client: MyChatClient): void {
  current = client;
}

/** The client the stores talk to; only stores call this (eslint keeps views and components out). */
export function sdkClient(): MyChatClient {
  if (!current) throw new Error('provideClient() must run before the first store is used');
  return current;
}
