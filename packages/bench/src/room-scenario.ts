/**
 * room: listen together under load. Every listener is a lean socket plus the SDK's own
 * ServerClock and PlaybackController driving a SimulatedPlayer, with its clock skewed by up to
 * +-5 s and every frame and ping delayed by its link's latency (0-300 ms each way, plus a few
 * ms of jitter). Phase one: one room of --users listeners, a Control command every 3 s for
 * --duration; phase two: rooms of 10 (up to 100) at once, each commanded every 3 s. Measured:
 * fan-out (the command sent to the frame at each socket, before the injected latency) and the
 * position error of every listener against the server's true time, 1 and 2 s after each change.
 */
import type { DescMethodUnary, MessageInitShape } from '@bufbuild/protobuf';
import { rooms as pb } from '@mychat/protocol';
import {
  expectedPosition,
  PlaybackController,
  ServerClock,
  SimulatedPlayer,
  type PlaybackState,
} from '@mychat/sdk';
import { unary } from './connect-call.js';
import { closeAll, connectMany, type LeanClient } from './lean-client.js';
import { leanOptions } from './lean-options.js';
import { Meter, type RunResult } from './result.js';
import type { RunOptions } from './run-options.js';
import type { ScenarioKit } from './moments-scenario.js';
import { summarize } from './stats.js';
import type { Target } from './target.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const A = pb.ControlAction;

/** A mono 16-bit 8 kHz WAV of a tone (what the room plays; the players are simulated). */
function toneWav(seconds: number): Buffer {
  const rate = 8000;
  const n = rate * seconds;
  const b = Buffer.alloc(44 + n * 2);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + n * 2, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++)
    b.writeInt16LE(Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2);
  return b;
}

const toState = (s: pb.RoomState | undefined): PlaybackState => ({
  entryId: s?.entryId ?? '',
  playing: s?.playing ?? false,
  positionMs: s?.positionMs ?? 0,
  atServerMs: s?.atServerMs ?? 0,
  rate: s?.rate || 1,
  version: Number(s?.version ?? 0),
});

/** One simulated member: its skewed clock, its link, and a controller per room. */
class Listener {
  readonly skewMs = (Math.random() * 2 - 1) * 5000;
  /** The link's one-way latency, ms (both directions: no protocol can see an asymmetric one). */
  readonly latencyMs = Math.random() * 300;
  readonly now = () => Date.now() + this.skewMs;
  readonly clock: ServerClock;
  readonly rooms = new Map<
    string,
    { ctl: PlaybackController; player: SimulatedPlayer; state?: PlaybackState }
  >();
  lean!: LeanClient;
  /** States that reached this listener after their start time (it had to seek to catch up). */
  late = 0;

  constructor(
    readonly i: number,
    readonly token: string,
  ) {
    this.clock = new ServerClock(
      async (t0) => {
        await sleep(this.delay());
        const r = await this.lean.clockPing(t0);
        await sleep(this.delay());
        return r;
      },
      { now: this.now, quickPings: 5, quickEveryMs: 100, everyMs: 10_000 },
    );
  }

  /** One crossing of the link: its latency plus exponential jitter (mean 3 ms, at most 30). */
  delay(): number {
    return this.latencyMs + Math.min(30, -3 * Math.log(1 - Math.random()));
  }

  follow(roomId: string): void {
    const player = new SimulatedPlayer(this.now, 10 + Math.random() * 90);
    const ctl = new PlaybackController(player, this.clock, { tickMs: 250 });
    this.rooms.set(roomId, { ctl, player });
    ctl.start();
  }

  apply(roomId: string, s: PlaybackState): void {
    const r = this.rooms.get(roomId);
    if (!r) return;
    if (!r.state || s.version > r.state.version) {
      if (r.state && s.playing && Date.now() > s.atServerMs) this.late++;
      r.state = s;
    }
    r.ctl.apply(s);
  }

  /** Position minus where the room truly is (the server's clock is this machine's). */
  error(roomId: string): number | undefined {
    const r = this.rooms.get(roomId);
    if (!r?.state?.playing && r?.state) return r.player.positionMs() - r.state.positionMs;
    return r?.state && r.player.positionMs() - expectedPosition(r.state, Date.now());
  }

  stop(): void {
    this.clock.stop();
    for (const r of this.rooms.values()) r.ctl.stop();
  }
}

/** The frames of one command: when it was sent, and when each listener's socket had it. */
interface Sent {
  at: number;
  version: number;
  arrivals: number[];
}

/** `base` comes from scenarios.ts, which loads this file (passed in: no import cycle). */
export async function runRoom(o: RunOptions, t: Target, base: ScenarioKit['base']): Promise<RunResult> {
  const users = t.seed.users.slice(0, o.users);
  const group = t.seed.group;
  if (!group) throw new Error('the seed has no group');
  const listeners = users.map((u, i) => new Listener(i, u.accessToken));
  /** Commands by room and resulting version (for fan-out). */
  const sent = new Map<string, Sent>();
  const onFrame = (l: Listener, body: { case: string | undefined; value?: unknown }) => {
    if (body.case !== 'roomState') return;
    const e = body.value as pb.RoomStateEvent;
    const s = toState(e.state);
    sent.get(`${e.roomId}:${s.version}`)?.arrivals.push(performance.now());
    setTimeout(() => l.apply(e.roomId, s), l.delay());
  };
  const call = <I extends DescMethodUnary>(l: Listener, m: I, req: MessageInitShape<I['input']>) =>
    unary(t.url, m, req, l.token);
  const S = pb.RoomsService.method;

  /**
   * A room in the group: created by `host`, joined by the others, one track of `seconds`. The
   * round trip each reports is its link's (what its clock measures once connected).
   */
  async function openRoom(host: Listener, others: Listener[], seconds: number) {
    const rtt = (l: Listener) => Math.round(2 * l.latencyMs);
    const { room } = await call(host, S.createRoom, {
      conversationId: group!.id,
      clientMsgId: `bench-${Date.now().toString(36)}-${host.i}`,
      rttMs: rtt(host),
    });
    const roomId = room!.id;
    await inBatches(others, 20, (l) => call(l, S.joinRoom, { roomId, rttMs: rtt(l) }));
    const up = await fetch(`${t.url}/media/v1/upload?kind=file&name=tone.wav`, {
      method: 'POST',
      headers: { authorization: `Bearer ${host.token}` },
      body: toneWav(seconds),
    });
    if (up.status !== 201) throw new Error(`upload: ${up.status} ${await up.text()}`);
    const mediaId = ((await up.json()) as { media: { id: string } }).media.id;
    const v = (await call(host, S.getRoom, { roomId })).room!.state!.version;
    const r = await call(host, S.addTrack, { roomId, mediaId, expectedVersion: v });
    const state = toState(r.room!.state);
    return { roomId, members: [host, ...others], version: state.version, state, durationMs: seconds * 1000 };
  }

  /** Every member's controller follows the room from its current state. */
  function follow(room: OpenRoom): void {
    for (const l of room.members) {
      l.follow(room.roomId);
      l.apply(room.roomId, room.state);
    }
  }

  type OpenRoom = Awaited<ReturnType<typeof openRoom>>;
  const errorsMs: number[] = [];
  const fanout: number[] = [];
  let commands = 0;
  let missing = 0;
  let refused = 0;

  /** Commands `room` every 3 s for `seconds`: play first, then seeks, pauses and plays. */
  async function drive(room: OpenRoom, seconds: number, phase: number): Promise<void> {
    const end = performance.now() + seconds * 1000;
    await sleep(phase);
    for (let k = 0; performance.now() < end; k++) {
      const by = room.members[Math.floor(Math.random() * room.members.length)]!;
      const action = k === 0 ? A.PLAY : [A.SEEK, A.PAUSE, A.PLAY, A.SEEK][k % 4]!;
      const positionMs = Math.random() * (room.durationMs / 2);
      const rec: Sent = { at: performance.now(), version: room.version + 1, arrivals: [] };
      sent.set(`${room.roomId}:${rec.version}`, rec);
      const r = await call(by, S.control, {
        roomId: room.roomId,
        action,
        positionMs,
        expectedVersion: BigInt(room.version),
        rttMs: Math.round(by.clock.estimator.rttMs),
      });
      if (!r.applied) refused++;
      const s = toState(r.room!.state);
      room.version = s.version;
      commands++;
      // Measure 1 and 2 s after the change applies (the SDK's grace after a start is 2 s).
      const wait = s.atServerMs - Date.now();
      await sleep(wait + 1000);
      for (const l of room.members) pushDefined(errorsMs, l.error(room.roomId));
      await sleep(1000);
      for (const l of room.members) pushDefined(errorsMs, l.error(room.roomId));
      for (const a of rec.arrivals) fanout.push(a - rec.at);
      missing += Math.max(0, room.members.length - rec.arrivals.length);
      await sleep(3000 - 2000 - Math.max(0, wait));
    }
  }

  // Phase one: everyone in one room. They join before their sockets connect: each join pushes
  // the whole room to every member, 1000 joins on open sockets would be half a million frames.
  const big = await openRoom(listeners[0]!, listeners.slice(1), 120);
  const { clients, failed, errors } = await connectMany(
    listeners.map((l, i) => ({ ...leanOptions(t, i), onPush: (f) => onFrame(l, f.body) })),
    o.concurrency,
  );
  for (const [i, l] of listeners.entries()) l.lean = clients[i]!;
  if (failed) throw new Error(`${failed} listeners could not connect: ${errors.join('; ')}`);
  await inBatches(listeners, 50, (l) => l.clock.start());
  const meter = new Meter(t);
  follow(big);
  await drive(big, o.durationS, 0);
  const one = {
    fanout: summarize(fanout.splice(0)),
    error: summarize(errorsMs.splice(0).map(Math.abs)),
    commands,
    missing,
  };
  commands = missing = 0;
  // The big room stays (leaving it would push the room to everyone left, per leave).
  for (const l of listeners) l.stop();

  // Phase two: rooms of 10 at once (each commanded every 3 s, at its own phase).
  for (const l of listeners) {
    l.rooms.clear();
    void l.clock.start();
  }
  const count = Math.min(100, Math.floor(listeners.length / 10));
  const small: OpenRoom[] = [];
  await inBatches(
    Array.from({ length: count }, (_, k) => k),
    4,
    async (k) =>
      void small.push(await openRoom(listeners[k * 10]!, listeners.slice(k * 10 + 1, k * 10 + 10), 30)),
  );
  for (const r of small) follow(r);
  await Promise.all(small.map((r) => drive(r, o.durationS, Math.random() * 3000)));
  const many = {
    fanout: summarize(fanout.splice(0)),
    error: summarize(errorsMs.splice(0).map(Math.abs)),
    commands,
    missing,
  };
  const m = meter.finish();
  for (const l of listeners) l.stop();
  await closeAll(clients);
  return {
    ...base(o, {
      rate: 0,
      sent: one.commands + many.commands,
      delivered: o.users * one.commands + 10 * many.commands - one.missing - many.missing,
      latency_ms: one.fanout,
      lost: one.missing + many.missing,
      extra: {
        latency_is:
          'one room: Control sent to the room_state frame at each socket (before injected latency), ms',
        listeners: o.users,
        one_room: { commands: one.commands, fanout_ms: one.fanout, position_error_ms: one.error },
        rooms_of_10: {
          rooms: count,
          commands: many.commands,
          fanout_ms: many.fanout,
          position_error_ms: many.error,
        },
        refused_stale: refused,
        applied_after_start: listeners.reduce((a, l) => a + l.late, 0),
        injected:
          'per listener: clock skew uniform +-5 s, one-way latency uniform 0-300 ms + exp. jitter (mean 3 ms)',
        position_error_is:
          '|player position - expected position at the true server time|, 1 s and 2 s after each change',
      },
    }),
    ...m,
  };
}

function pushDefined(to: number[], v: number | undefined): void {
  if (v !== undefined && Number.isFinite(v)) to.push(v);
}

async function inBatches<T>(items: T[], size: number, fn: (x: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}
