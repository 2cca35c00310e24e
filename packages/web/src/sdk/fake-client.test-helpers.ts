import type { MomentsBadge, MomentsEvents, MyChatClient, MyChatEvents } from '@mychat/sdk';
import { vi } from 'vitest';

type Handler = (...args: never[]) => void;
type Api = Record<string, (...args: never[]) => unknown>;

/**
 * A stand-in for the SDK client in store unit tests: real event wiring (`on` / `emit`), and the
 * API methods a test supplies, each recording its calls. No network, no IndexedDB.
 */
export class FakeClient {
  readonly calls: string[] = [];
  state = 'offline';
  private readonly handlers = new Map<string, Set<Handler>>();
  messages: Api = {};
  contacts: Api = {};
  groups: Api = {};
  auth: Api = {};
  push: Api = {};
  search: Api = {};
  media: Api = {};
  /** `client.moments`: its own events (`emitMoments`) and the badge it starts with. */
  moments: Record<string, unknown> = {
    on: (event: string, fn: Handler) => this.listen(this.momentHandlers, event, fn),
    badge: { newPosts: false, latestAuthorAvatarUrl: '', unreadNotices: 0 } satisfies MomentsBadge,
  };
  private readonly momentHandlers = new Map<string, Set<Handler>>();

  on(event: string, fn: Handler): () => void {
    return this.listen(this.handlers, event, fn);
  }

  emit<K extends keyof MyChatEvents>(event: K, ...args: MyChatEvents[K]): void {
    for (const fn of this.handlers.get(String(event)) ?? []) (fn as (...a: unknown[]) => void)(...args);
  }

  emitMoments<K extends keyof MomentsEvents>(event: K, ...args: MomentsEvents[K]): void {
    for (const fn of this.momentHandlers.get(String(event)) ?? []) (fn as (...a: unknown[]) => void)(...args);
  }

  private listen(map: Map<string, Set<Handler>>, event: string, fn: Handler): () => void {
    let set = map.get(event);
    if (!set) map.set(event, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  /** Gives an API area its methods; each call is logged as "area.method(args as JSON)". */
  provide(
    area: 'messages' | 'contacts' | 'groups' | 'auth' | 'push' | 'search' | 'media' | 'moments',
    methods: Record<string, (...args: never[]) => unknown>,
  ) {
    const wrapped: Api = {};
    for (const [name, fn] of Object.entries(methods)) {
      wrapped[name] = (...args: never[]) => {
        this.calls.push(`${area}.${name}(${JSON.stringify(args).slice(1, -1)})`);
        return fn(...args);
      };
    }
    if (area === 'moments') this.moments = { ...this.moments, ...wrapped };
    else this[area] = { ...this[area], ...wrapped };
  }

  asClient(): MyChatClient {
    return this as unknown as MyChatClient;
  }
}

/** The few browser globals the stores and i18n touch at start-up, for a test run under Node. */
export function installBrowserGlobals(): void {
  const data = new Map<string, string>();
  vi.stubGlobal('localStorage', {
    getItem: (k: string) => data.get(k) ?? null,
    setItem: (k: string, v: string) => void data.set(k, String(v)),
    removeItem: (k: string) => void data.delete(k),
    clear: () => data.clear(),
  });
  vi.stubGlobal('navigator', { language: 'en', languages: ['en'] });
  vi.stubGlobal('document', {
    documentElement: { lang: '', dataset: {} },
    visibilityState: 'visible',
    hidden: false,
    addEventListener: () => undefined,
  });
  vi.stubGlobal('addEventListener', () => undefined);
  vi.stubGlobal('matchMedia', () => ({ matches: false, addEventListener: () => undefined }));
}

/** Lets the promise callbacks a store started settle. */
export const settle = () => new Promise<void>((r) => setTimeout(r, 0));
