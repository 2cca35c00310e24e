/**
 * `mychat admin create --email=<address>` (or `--phone=<+E.164>`, `--role=moderator`): gives an
 * existing account the console role, through auth's own RPC on the configured database. The
 * first admin is made this way; later ones from the console.
 */
import { auth } from '@mychat/protocol';
import { createApp } from '../app.js';
import { ConfigError } from '../kernel/config.js';
import { oneShot, type CommandContext } from './command.js';

const ROLES: Record<string, number> = { admin: 2, moderator: 1, none: 0 };

export async function adminCommand(
  { sources, out }: CommandContext,
  sub: string | undefined,
  options: Record<string, string | undefined>,
): Promise<number> {
  if (sub !== 'create')
    throw new ConfigError('usage: mychat admin create --email=<address> [--role=admin|moderator|none]');
  const who = options.email ?? options.phone;
  if (!who || (options.email && options.phone))
    throw new ConfigError('admin create needs one of --email or --phone');
  const role = ROLES[options.role ?? 'admin'];
  if (role === undefined) throw new ConfigError('--role must be admin, moderator or none');
  const app = createApp({ targets: ['auth'], config: oneShot(sources) });
  await app.start();
  try {
    const directory = app.value('rpc').client(auth.UserDirectoryService);
    const found = (await directory.searchAccounts({ query: who, limit: 1 })).accounts[0]?.user;
    const matches =
      found && (options.email ? found.email === who.trim().toLowerCase() : found.phone === who.trim());
    if (!found || !matches) {
      out(`no account with ${who}: register it in the app first, then run this again`);
      return 1;
    }
    await directory.setAccountRole({ userId: found.id, role });
    out(`${who} (user ${found.id}) now has the console role: ${options.role ?? 'admin'}`);
    return 0;
  } finally {
    await app.stop();
  }
}
