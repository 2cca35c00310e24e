import { AppError, ErrorCode, errors } from '../../kernel/errors.js';
import type { EntryRow, MemberRow, PlayState } from './rooms.repository.js';

/** mychat.rooms.v1.ControlAction. */
export const ACTION = { PLAY: 1, PAUSE: 2, SEEK: 3, NEXT: 4, PREVIOUS: 5 } as const;

/** The longest position a command may name, ms (a day). */
export const MAX_POSITION_MS = 86_400_000;

export interface Command {
  action: number;
  positionMs: number;
  entryId: string;
}

/** Where the state says playback is at server time `t`. */
export function positionAt(s: PlayState, t: number): number {
  if (!s.playing || t <= s.atServerMs) return s.positionMs;
  return s.positionMs + ((t - s.atServerMs) * s.rateMilli) / 1000;
}

export interface LeadRules {
  minLeadMs: number;
  leadMarginMs: number;
  maxLeadMs: number;
}

/**
 * How far ahead a change is scheduled, so every member applies it at the same server time:
 * the largest member one-way delay plus a margin, at least the minimum, at most the maximum.
 */
export function leadMs(members: readonly MemberRow[], r: LeadRules): number {
  let worst = 0;
  for (const m of members) if (m.delayMs > worst) worst = m.delayMs;
  return Math.min(r.maxLeadMs, Math.max(r.minLeadMs, worst + r.leadMarginMs));
}

const clampTo = (e: EntryRow | undefined, p: number) =>
  Math.max(0, e && e.durationMs > 0 ? Math.min(p, e.durationMs) : p);

/**
 * The state after a command applied at server time `at` (now + lead). Never writes: the
 * caller stores it with the version check. Bad commands (no track to play, an entry not in
 * the queue) throw before anything changes.
 */
export function applyCommand(s: PlayState, queue: readonly EntryRow[], c: Command, at: number): PlayState {
  const idx = queue.findIndex((e) => e.id === s.entryId);
  const current = idx >= 0 ? queue[idx] : undefined;
  const here = clampTo(current, positionAt(s, at));
  const next = (entry: EntryRow | undefined, playing: boolean, positionMs: number): PlayState => ({
    entryId: entry?.id ?? '',
    playing: entry ? playing : false,
    positionMs: entry ? clampTo(entry, positionMs) : 0,
    atServerMs: at,
    rateMilli: 1000,
    version: s.version,
  });
  switch (c.action) {
    case ACTION.PLAY: {
      if (c.entryId) {
        const e = queue.find((q) => q.id === c.entryId);
        if (!e) throw noSuchTrack('entryId');
        return next(e, true, c.positionMs);
      }
      if (current) return next(current, true, here);
      if (queue.length === 0) throw noSuchTrack('entryId', 'the queue is empty: add a track first');
      return next(queue[0], true, 0);
    }
    case ACTION.PAUSE:
      return next(current, false, here);
    case ACTION.SEEK:
      if (!current) throw noSuchTrack('entryId', 'nothing to seek in: play a track first');
      return next(current, s.playing, c.positionMs);
    case ACTION.NEXT:
      // Past the last track the room stops.
      return next(idx >= 0 ? queue[idx + 1] : queue[0], true, 0);
    case ACTION.PREVIOUS:
      return next(idx > 0 ? queue[idx - 1] : (current ?? queue[0]), true, 0);
    default:
      throw errors.invalidArgument('action must be PLAY, PAUSE, SEEK, NEXT or PREVIOUS', 'action');
  }
}

/** The state after an entry left the queue: playback moves on to the entry after it. */
export function afterRemoval(
  s: PlayState,
  queue: readonly EntryRow[],
  removedId: string,
  at: number,
): PlayState {
  if (s.entryId !== removedId) return s;
  const i = queue.findIndex((e) => e.id === removedId);
  const after = queue[i + 1];
  return after
    ? { ...s, entryId: after.id, positionMs: 0, atServerMs: at, held: false }
    : { ...s, entryId: '', playing: false, positionMs: 0, atServerMs: at, held: false };
}

export interface GateRules {
  /** The longest a buffering member holds the room, ms. */
  bufferWaitMs: number;
}

/**
 * The buffering gate. A member buffering at the start of a play (until `bufferWaitMs` after
 * the state's start) holds the room: the start moves to now + bufferWaitMs at the latest, once
 * per command (`held`), so one slow member costs at most that, however often it reports.
 * Undefined when the report changes nothing (stale version, paused, already held, mid-song).
 */
export function holdFor(s: PlayState, now: number, r: GateRules): PlayState | undefined {
  if (!s.playing || s.held || now > s.atServerMs + r.bufferWaitMs) return undefined;
  const until = Math.max(s.atServerMs, now + r.bufferWaitMs);
  return { ...s, positionMs: positionAt(s, now), atServerMs: until, held: true };
}

/**
 * The gate opens early: the last buffering member is ready, so a held start that is still
 * ahead moves to now + lead (never later than it was). Undefined when nothing changes.
 */
export function releaseAt(s: PlayState, now: number, lead: number): PlayState | undefined {
  if (!s.playing || !s.held || s.atServerMs <= now + lead) return undefined;
  return { ...s, atServerMs: now + lead };
}

export function noSuchTrack(field: string, message = 'no such track in this room'): AppError {
  return new AppError(ErrorCode.ROOM_NO_SUCH_TRACK, message, { field });
}
