import fs from 'node:fs';
import {
  admin,
  auth,
  calls,
  common,
  contacts,
  favorites,
  gateway,
  keys,
  media,
  message,
  moments,
  push,
  rooms,
  search,
  square,
  stickers,
} from '@mychat/protocol';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../src/config.schema.js';
import { WsClose } from '../src/gateway/ws/ws-close-codes.js';
import { configKeys } from '../src/kernel/config.js';

const ROOT = new URL('../../../', import.meta.url);
const read = (name: string) => fs.readFileSync(new URL(`docs/${name}`, ROOT), 'utf8');
const operations = read('operations.md');
const protocol = read('protocol.md');

/**
 * The inline code spans of a markdown text that name a repository path: a `/` and a file
 * extension, or a trailing `/`. Fenced blocks are examples (a service not written yet), and
 * URLs, globs and spans with spaces are not paths.
 */
function repositoryPaths(doc: string): string[] {
  const prose = doc.replace(/^[ \t]*```[^\n]*\n[\s\S]*?^[ \t]*```[^\n]*$/gm, '');
  return [...prose.matchAll(/`([^`\n]+)`/g)]
    .map((m) => m[1]!)
    .filter((s) => /^[\w.-][\w./-]*$/.test(s) && s.includes('/'))
    .filter((s) => s.endsWith('/') || /\.[a-z0-9]+$/i.test(s));
}

/** Those paths that do not exist in the repository. */
const missingPaths = (doc: string) => repositoryPaths(doc).filter((p) => !fs.existsSync(new URL(p, ROOT)));

/** The rows of the markdown table whose header line starts with `header`, as cell arrays. */
function table(doc: string, header: string): string[][] {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => l.startsWith(header));
  expect(start, `a table headed "${header}"`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const l of lines.slice(start + 2)) {
    if (!l.startsWith('|')) break;
    rows.push(
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  }
  return rows;
}

/** The names of a proto enum without its prefix and the zero value. */
const enumNames = (e: Record<string, string | number>) =>
  Object.keys(e).filter((k) => Number.isNaN(Number(k)) && k !== 'UNSPECIFIED');

describe('docs/operations.md', () => {
  it('documents every config key with its environment variable', () => {
    const missing = configKeys(configSchema)
      .map((k) => ({ key: k.path.join('.'), env: k.env }))
      .filter(({ key, env }) => !operations.includes(`\`${key}\``) || !operations.includes(`\`${env}\``));
    expect(missing).toEqual([]);
  });

  it('has one row per config key, whose default is the schema default', () => {
    const defaults = configSchema.parse({}) as Record<string, unknown>;
    const rows = table(operations, '| key | variable | default |');
    const wrong = configKeys(configSchema).flatMap(({ path }) => {
      const key = path.join('.');
      const mine = rows.filter((r) => r[0] === `\`${key}\``);
      if (mine.length !== 1) return [`${key}: ${mine.length} rows`];
      const def = path.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], defaults);
      const cell = mine[0]![2]!;
      // A default the process works out (a path beside the package, a free port) is prose.
      if (def === undefined || (typeof def === 'string' && def.startsWith('/'))) return [];
      const empty = typeof def === 'object' && def !== null && Object.keys(def).length === 0;
      if (empty) return /^(none|empty)$/.test(cell) ? [] : [`${key}: ${cell}`];
      const lit = /^`([^`]*)`/.exec(cell)?.[1];
      const units: Record<string, number> = { MiB: 2 ** 20, GiB: 2 ** 30 };
      const [, n, unit] = /^(\d+) (MiB|GiB)$/.exec(lit ?? '') ?? [];
      const said = n && unit ? String(Number(n) * units[unit]!) : lit;
      const want = Array.isArray(def) ? def.join(',') : String(def);
      return said === want || (def === '' && cell === 'empty') ? [] : [`${key}: doc ${cell}, schema ${want}`];
    });
    expect(wrong).toEqual([]);
  });
});

describe('docs/protocol.md', () => {
  it('has every ErrorCode in its error table', () => {
    const cells = table(protocol, '| reason | when |')
      .map((r) => r[0])
      .join(' ');
    const missing = enumNames(common.ErrorCode).filter((r) => !cells.includes(`\`${r}\``));
    expect(missing).toEqual([]);
  });

  it('has every close code of gateway.proto and of the gateway in its close-code table, by number and name', () => {
    const rows = new Map(table(protocol, '| code | name |').map((r) => [Number(r[0]), r[1]]));
    const named = enumNames(gateway.CloseCode).map(
      (n) => [gateway.CloseCode[n as never] as number, n] as const,
    );
    const used = Object.entries(WsClose).filter(([, code]) => code !== 1000);
    const missing = [...named, ...used.map(([n, c]) => [c, n] as const)].filter(
      ([c, n]) => rows.get(c) !== n,
    );
    expect(missing).toEqual([]);
  });

  it('lists every ClientFrame body and every ServerFrame push in its frame tables', () => {
    const clientRows = table(protocol, '| field | body | answer |').map((r) => r[0]);
    const pushRows = table(protocol, '| field | meaning |').map((r) => r[0]);
    const bodies = (s: typeof gateway.ClientFrameSchema | typeof gateway.ServerFrameSchema) =>
      s.oneofs[0]!.fields.map((f) => `\`${f.name}\``);
    expect(bodies(gateway.ClientFrameSchema).filter((f) => !clientRows.includes(f))).toEqual([]);
    // Answers (auth_ok, pong, send_ack, error, ok, sync, history) are described with the requests.
    const answers = ['auth_ok', 'pong', 'send_ack', 'error', 'ok', 'sync', 'history'].map((n) => `\`${n}\``);
    const pushes = bodies(gateway.ServerFrameSchema).filter((f) => !answers.includes(f));
    expect(pushes.filter((f) => !pushRows.includes(f))).toEqual([]);
  });

  it('names every method of the public services', () => {
    const services = [
      auth.AuthService,
      contacts.ContactsService,
      message.MessageService,
      favorites.FavoritesService,
      stickers.StickersService,
      media.MediaService,
      moments.MomentsService,
      push.PushService,
      search.SearchService,
      rooms.RoomsService,
      calls.CallsService,
      square.SquareService,
      admin.AdminService,
      admin.SafetyService,
      keys.KeysService,
    ];
    const missing = services.flatMap((s) =>
      s.methods.map((m) => m.name).filter((name) => !new RegExp(`\`(\\w+\\.)?${name}\\b`).test(protocol)),
    );
    expect(missing).toEqual([]);
  });
});

describe('docs/architecture.md', () => {
  it('finds paths in inline code, not in fenced examples, URLs, globs or prose', () => {
    const doc = [
      'See `packages/server/src/modules.ts`, `packages/web/src/ui/` and `docs/nowhere.md`.',
      'Not paths: `/healthz`, `mychat.auth.v1`, `@mychat/protocol`, `packages/web/src/**/*.store.ts`,',
      '`a b/c.ts`, `peers.message.internal` and packages/server/src/unquoted.ts.',
      '   ```ts',
      "import x from 'packages/server/src/services/moments/moments.module.ts';",
      '   `packages/server/src/in-a-fence.ts`',
      '   ```',
    ].join('\n');
    expect(repositoryPaths(doc)).toEqual([
      'packages/server/src/modules.ts',
      'packages/web/src/ui/',
      'docs/nowhere.md',
    ]);
    expect(missingPaths(doc)).toEqual(['docs/nowhere.md']);
  });

  it('names only paths that exist', () => {
    const doc = read('architecture.md');
    expect(repositoryPaths(doc).length).toBeGreaterThan(20);
    expect(missingPaths(doc)).toEqual([]);
  });

  it('is linked from the README', () => {
    const readme = fs.readFileSync(new URL('README.md', ROOT), 'utf8');
    expect(readme).toContain('(docs/architecture.md)');
  });
});
