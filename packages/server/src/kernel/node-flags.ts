/**
 * V8's young generation for processes that carry messages: semi-spaces of up to 64 MiB
 * instead of 16. Under a chat load the server allocates tens of KiB per message; with the
 * default it scavenges every ~50 ms, objects of requests still in flight get promoted, the
 * old generation fills in seconds and each major GC drags a long scavenge behind it. With
 * 64 MiB, GC takes about half the time and pauses stay short (docs/performance.md). The
 * cost is memory the young generation keeps once it has grown, which a gateway holding
 * tens of thousands of idle sockets cannot afford: gateway-only processes keep V8's default.
 *
 * Node reads the flag only at start-up, so it is on the command line of whatever starts the
 * process: `npm start`, the Docker image (`NODE_OPTIONS`, emptied for gateways in the
 * compose and Kubernetes files), the loopback cluster and the benchmark's server (here).
 */
export const YOUNG_GENERATION_FLAG = '--max-semi-space-size=64';

/** The Node flags for a process serving `targets` (as `--target=` takes them: `all`, `gateway,auth`). */
export function nodeFlagsFor(targets: string): string[] {
  return socketsOnly(targets.split(',')) ? [] : [YOUNG_GENERATION_FLAG];
}

/** Whether a process serving `targets` only holds sockets (a gateway): memory per socket first. */
export function socketsOnly(targets: readonly string[]): boolean {
  return targets.length > 0 && targets.every((t) => t.trim() === 'gateway');
}
