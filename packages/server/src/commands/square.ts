/**
 * `mychat square ...`: the operator's hand on the square before the admin console exists.
 * `admin grant|revoke <userId>` edits the square's own admin table (besides
 * square.adminUserIds); `board create <name> [<description>]` opens a public board.
 */
import { createApp } from '../app.js';
import { ConfigError } from '../kernel/config.js';
import { createIdGenerator, isId } from '../kernel/ids.js';
import { squareMigrations } from '../services/square/square.migrations.js';
import { SquareStore } from '../services/square/square.repository.js';
import { oneShot, type CommandContext } from './command.js';

export const SQUARE_USAGE = `mychat square admin grant|revoke <userId>
mychat square board create <name> [<description>]`;

export async function squareCommand(args: string[], { sources, out }: CommandContext): Promise<number> {
  const [what, action, arg, description = ''] = args;
  const grant = what === 'admin' && (action === 'grant' || action === 'revoke');
  const create = what === 'board' && action === 'create';
  if ((!grant && !create) || !arg) throw new ConfigError(`usage:\n${SQUARE_USAGE}`);
  if (grant && !isId(arg)) throw new ConfigError(`not a user id: ${arg}`);
  const name = arg.trim();
  if (create && ([...name].length > 40 || [...description].length > 500))
    throw new ConfigError('a board name is 1-40 characters, a description at most 500');
  const app = createApp({ targets: ['sql'], config: oneShot(sources) });
  await app.start();
  try {
    const sql = app.value('sql');
    await sql.migrate('square', squareMigrations);
    const store = SquareStore.of(sql);
    const now = Date.now();
    if (grant) {
      await store.social.setAdmin(arg, action === 'grant', now);
      out(`square admin ${action === 'grant' ? 'granted to' : 'revoked from'} ${arg}`);
      return 0;
    }
    const id = createIdGenerator(app.config.nodeId).next();
    await store.insertBoard({
      id,
      name,
      description,
      groupId: '',
      threadCount: 0,
      createdBy: '0',
      createdAt: now,
    });
    out(`board created: ${id} ${name}`);
    return 0;
  } finally {
    await app.stop();
  }
}
