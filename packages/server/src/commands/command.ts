import type { ConfigSources } from '../kernel/config.js';

/** What `main.ts` hands a command after parsing the command line. */
export interface CommandContext {
  /** Where the config comes from: `--config` file, environment, `--key=value` flags. */
  sources: ConfigSources & { flags: Record<string, string> };
  /** Writes one line to stdout. */
  out(line: string): void;
}

/**
 * The same config with ports 0, for commands that start modules to do one job and stop
 * (migrate, bench-seed): they must not take a running server's ports.
 */
export function oneShot(sources: CommandContext['sources']): CommandContext['sources'] {
  return { ...sources, flags: { ...sources.flags, 'http.port': '0', 'rpc.port': '0' } };
}
