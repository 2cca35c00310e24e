import { getPriority, setPriority } from 'node:os';

/**
 * Lowers the CPU priority of the calling thread, and of the threads it starts afterwards, by
 * `by` nice levels (at most to 19): a background thread (the search index's writer) then runs
 * on what the event loop and the other threads leave of the cores. Relative, so a server
 * started under `nice` keeps its thread below itself. Linux only: there each thread is a task
 * with a nice value of its own, and get/setpriority(PRIO_PROCESS, 0), `os.getPriority` and
 * `os.setPriority` with pid 0, read and change the calling one. Elsewhere pid 0 is the whole
 * process, so nothing is done there. Returns the thread's nice value when it was changed;
 * a refusal of the system is thrown.
 */
export function niceThisThread(by: number, platform: NodeJS.Platform = process.platform): number | undefined {
  if (!Number.isInteger(by) || by < 0 || by > 39) throw new RangeError(`nice step ${by} is not 0-39`);
  if (platform !== 'linux' || by === 0) return undefined;
  const nice = Math.min(19, getPriority(0) + by);
  setPriority(0, nice);
  return nice;
}
