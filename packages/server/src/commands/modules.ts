/** `mychat modules`: the module map as the process sees it, with peers and meta-targets. */
import { resolveModules } from '../app.js';
import { META_TARGETS, MODULES } from '../modules.js';
import type { CommandContext } from './command.js';

export function modulesCommand({ out }: Pick<CommandContext, 'out'>): number {
  for (const [name, def] of Object.entries(MODULES)) {
    out(`${name.padEnd(12)} ${def.deps.length ? 'needs ' + def.deps.join(', ') : '(no dependencies)'}`);
    // Who calls whom: the services this one reaches over RPC (local or remote).
    if (def.peers?.length) out(`${''.padEnd(13)}calls ${def.peers.join(', ')}`);
    out(`${''.padEnd(13)}${def.description}`);
  }
  out('\nmeta-targets:');
  for (const [name, list] of Object.entries(META_TARGETS))
    out(`${name.padEnd(12)} ${list.join(', ')} -> ${resolveModules([name]).join(', ')}`);
  return 0;
}
