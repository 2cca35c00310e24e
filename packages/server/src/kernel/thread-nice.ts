import { setPriority } from 'node:os';

/**
 * Lowers the CPU priority of the calling thread, and of the threads it starts afterwards,
 * to `nice` (0-19): a background thread (the search index's writer) then runs on what the
 * event loop and the other threads leave of the cores. Linux only: there each thread is a
 * task with a nice value of its own, and setpriority(PRIO_PROCESS, 0), `os.setPriority`'s pid
 * 0, changes the calling one. Elsewhere pid 0 is the whole process, so nothing is done there.
 * Only lowers (raising it back would need CAP_SYS_NICE). True when the thread's nice value is
 * now `nice`; a refusal of the system is thrown.
 */
export function niceThisThread(nice: number, platform: NodeJS.Platform = process.platform): boolean {
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new RangeError(`nice ${nice} is not 0-19`);
  if (platform !== 'linux' || nice === 0) return false;
  setPriority(0, nice);
  return true;
}
