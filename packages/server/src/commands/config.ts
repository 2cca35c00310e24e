/** `mychat config print` and `mychat config keys`. */
import { configSchema } from '../config.schema.js';
import { configKeys, loadConfig, printConfig } from '../kernel/config.js';
import type { CommandContext } from './command.js';

/** The resolved config, secrets masked. */
export function configPrintCommand({ sources, out }: CommandContext): number {
  out(printConfig(loadConfig(configSchema, sources)));
  return 0;
}

/** Every config key with its environment variable. */
export function configKeysCommand({ out }: Pick<CommandContext, 'out'>): number {
  for (const k of configKeys(configSchema)) out(`${k.path.join('.').padEnd(36)} ${k.env}`);
  return 0;
}
