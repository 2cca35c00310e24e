/** What one bench run is asked to do: the scenario and its knobs, as the command line gives them. */
import type { Mode } from './target.js';

export const SCENARIOS = [
  'connect',
  'chat',
  'group',
  'offline',
  'idle',
  'saturate',
  'moments',
  'push',
  'room',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface RunOptions {
  scenario: Scenario;
  mode: Mode;
  users: number;
  rate: number;
  durationS: number;
  payload: number;
  /** Connections opened at once. */
  concurrency: number;
  /** offline: messages each offline user misses. */
  messages: number;
  url?: string;
  seedFile?: string;
  serverPids?: number[];
  /** The started all-in-one's engine: SQLite in its data dir (default) or a fresh PostgreSQL database. */
  sql?: 'sqlite' | 'postgres';
  /** The started all-in-one's socket workers (`server.workers`); the server's default when absent. */
  serverWorkers?: number;
  /** saturate: p99 limit, ms, the most rate steps to try, and by how much each step raises the rate, %. */
  p99LimitMs: number;
  maxSteps: number;
  stepPercent: number;
  /** push: group members who stay offline with a push subscription. */
  subscribed: number;
  /** idle: generator processes holding the connections. */
  workers: number;
  /** cluster: how many gateways. */
  gateways: number;
  /**
   * chat, group, saturate: seconds of sending at the rate before the measured phase (JIT,
   * caches and connection pools warm; those messages are not counted).
   */
  warmupS: number;
  /** moments: friends per user (the seed's ring), posts/s, and seconds between each user's feed reads. */
  friends: number;
  postRate: number;
  readEveryS: number;
}
