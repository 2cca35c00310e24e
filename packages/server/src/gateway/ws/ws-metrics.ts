import { Counter, Gauge, type Registry } from 'prom-client';
import { HotCounter } from '../../kernel/hot-counter.js';

/** The gateway's Prometheus metrics. */
export interface WsMetrics {
  framesIn: HotCounter<'type'>;
  framesOut: HotCounter<'type'>;
  closes: Counter<'code'>;
  pushFanout: HotCounter;
  upgradesRefused: Counter<'reason'>;
}

/**
 * Registers the WebSocket metrics. The connections gauge is computed at scrape time from
 * `count`, so no code path can forget to decrement it.
 */
export function createWsMetrics(
  registry: Registry,
  count: () => { pending: number; open: number },
): WsMetrics {
  new Gauge({
    name: 'mychat_ws_connections',
    help: 'WebSocket connections on this gateway, by state (pending = not yet authenticated)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const c = count();
      this.set({ state: 'pending' }, c.pending);
      this.set({ state: 'open' }, c.open);
    },
  });
  return {
    framesIn: new HotCounter({
      name: 'mychat_ws_frames_in_total',
      help: 'Frames received from clients, by body type',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    framesOut: new HotCounter({
      name: 'mychat_ws_frames_out_total',
      help: 'Frames sent to clients, by body type',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    closes: new Counter({
      name: 'mychat_ws_closes_total',
      help: 'Closed WebSocket connections, by close code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    pushFanout: new HotCounter({
      name: 'mychat_ws_push_fanout_total',
      help: 'Pushed frames written to sockets (one bus message may reach several sockets)',
      registers: [registry],
    }),
    upgradesRefused: new Counter({
      name: 'mychat_ws_upgrades_refused_total',
      help: 'WebSocket upgrades refused before the handshake, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
  };
}
