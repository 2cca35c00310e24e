/** `mychat migrate`: bring every service's tables up to date, then exit. */
import { createApp } from '../app.js';
import { MODULES, type ModuleName } from '../modules.js';
import { oneShot, type CommandContext } from './command.js';

export async function migrateCommand({ sources, out }: CommandContext): Promise<number> {
  // Initialising a service module migrates its tables; nothing is served.
  const services = (Object.keys(MODULES) as ModuleName[]).filter(
    (n) => MODULES[n].service && n !== 'gateway',
  );
  const migrator = createApp({ targets: services, config: oneShot(sources) });
  await migrator.start();
  await migrator.stop();
  out(`migrated: ${services.join(', ')}`);
  return 0;
}
