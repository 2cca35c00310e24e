import { MyChatError } from './errors.js';
import type { WebSocketConstructor } from './ws-connection.js';

export type { WebSocketConstructor } from './ws-connection.js';

let nodeWs: Promise<WebSocketConstructor> | undefined;

/**
 * The WebSocket class to use: the one given, else the platform's (browsers, Node 22+), else the
 * `ws` package (Node 20 has no global WebSocket). `ws` is loaded only when needed, so browser
 * bundles never include it.
 */
export function loadWebSocket(given?: WebSocketConstructor): Promise<WebSocketConstructor> {
  if (given) return Promise.resolve(given);
  const g = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (g) return Promise.resolve(g);
  const name = 'ws'; // a variable, so bundlers and tsc leave the optional import alone
  nodeWs ??= import(name).then(
    (m: { WebSocket?: WebSocketConstructor; default?: WebSocketConstructor }) => {
      const Ctor = m.WebSocket ?? m.default;
      if (!Ctor) throw new Error('the ws module has no WebSocket export');
      return Ctor;
    },
    (err: unknown) => {
      nodeWs = undefined;
      throw new MyChatError(
        'no WebSocket here: pass options.WebSocket or install the "ws" package',
        'NO_WEBSOCKET',
        undefined,
        undefined,
        { cause: err },
      );
    },
  );
  return nodeWs;
}
