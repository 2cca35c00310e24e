/**
 * The layer rules of docs/architecture.md section 4 are the repository's `.dependency-cruiser.cjs`,
 * run over every import by `npm run lint`. This proves that each rule refuses what it should
 * and lets the rest through: it cruises a small tree laid out like the repository, with
 * offences beside allowed imports, under that config, and expects exactly the offences. And
 * that server code logs through pino: eslint's `no-console`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { cruise } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import { ESLint } from 'eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const S = 'packages/server/src';
const WEB = 'packages/web/src';

/** A module that imports `imports` (`type:` first: a type-only import) and exports `x` and `X`. */
function ts(...imports: string[]): string {
  const lines = imports.map((i) =>
    i.startsWith('type:')
      ? `import type { X } from '${i.slice(5)}';`
      : i.startsWith('dynamic:')
        ? `export const lazy = () => import('${i.slice(8)}');`
        : `import { x } from '${i}';`,
  );
  return `${lines.join('\n')}\nexport const x = 1;\nexport type X = number;\n`;
}

const vue = (from: string) =>
  `<script setup lang="ts">\nimport { x } from '${from}';\nvoid x;\n</script>\n<template><p /></template>\n`;

/** The tree: what is allowed, one offence (or more) per rule, and the cycles. */
const TREE: Record<string, string> = {
  // Allowed: each layer importing what it may.
  [`${S}/kernel/errors.ts`]: ts(),
  [`${S}/kernel/logger.ts`]: ts('./errors.js'),
  [`${S}/rpc/call-context.ts`]: ts('../kernel/errors.js'),
  [`${S}/rpc/rpc-impl.ts`]: ts(),
  [`${S}/rpc/rpc-hub.ts`]: ts('./call-context.js'),
  [`${S}/adapters/kv/kv.ts`]: ts('../../kernel/errors.js', './redis.kv.js'),
  [`${S}/adapters/kv/redis.kv.ts`]: ts('../../kernel/logger.js'),
  [`${S}/contracts/sessions.ts`]: ts('type:../adapters/kv/kv.js', '../kernel/errors.js'),
  [`${S}/wiring/peers.ts`]: ts('../rpc/rpc-hub.js'),
  [`${S}/wiring/module-kit.ts`]: ts('./peers.js', '../services/auth/auth.service.js'),
  [`${S}/modules.ts`]: ts('./wiring/module-kit.js'),
  [`${S}/services/auth/auth.repository.ts`]: ts(),
  [`${S}/services/auth/auth.service.ts`]: ts(
    './auth.repository.js',
    '../../kernel/errors.js',
    '../../adapters/kv/kv.js',
    '../../contracts/sessions.js',
    '../../rpc/call-context.js',
    '../../rpc/rpc-impl.js',
    'type:../../wiring/peers.js',
  ),
  [`${S}/gateway/public-api.ts`]: ts('../rpc/call-context.js', 'type:../wiring/peers.js'),
  // Tests and test helpers may reach across layers to set a case up.
  [`${S}/services/message/message.system.test.ts`]: ts(
    '../auth/auth.service.js',
    '../../gateway/public-api.js',
    '../../../test/helpers/server.js',
    '../../../dev/cluster/index.js',
  ),
  ['packages/server/test/helpers/server.ts']: ts('../../src/modules.js'),
  // Tools may use devDependencies.
  ['packages/server/dev/cluster/index.ts']: ts('devdep', '../../src/modules.js'),

  // Offences.
  [`${S}/services/message/message.service.ts`]: ts('../auth/auth.repository.js'),
  [`${S}/services/message/message.types.ts`]: ts('type:../auth/auth.service.js'),
  [`${S}/services/message/message.module.ts`]: ts('../../gateway/public-api.js'),
  [`${S}/services/message/message.rpc.ts`]: ts('../../rpc/rpc-hub.js'),
  [`${S}/services/message/message.peers.ts`]: ts('../../wiring/peers.js'),
  [`${S}/services/message/message.map.ts`]: ts('../../modules.js', 'type:../../wiring/module-kit.js'),
  [`${S}/gateway/ws.ts`]: ts('dynamic:../services/auth/auth.service.js'),
  [`${S}/adapters/bus/redis.bus.ts`]: ts('../kv/redis.kv.js'),
  [`${S}/kernel/config.ts`]: ts('type:../rpc/rpc-impl.js'),
  [`${S}/contracts/push.ts`]: ts('../services/auth/auth.service.js'),
  [`${S}/rpc/rpc-server.ts`]: ts('../services/auth/auth.service.js'),
  [`${S}/app.ts`]: ts('../dev/cluster/index.js', '../test/helpers/server.js'),
  [`${S}/kernel/mail.ts`]: ts('devdep', './missing.js'),

  // Cycles: by value and by type only.
  ['packages/sdk/src/a.ts']: ts('./b.js'),
  ['packages/sdk/src/b.ts']: ts('./a.js'),
  ['packages/sdk/src/c.ts']: ts('type:./d.js'),
  ['packages/sdk/src/d.ts']: ts('type:./c.js'),

  // The web app: only stores, the SDK folder and the composition root touch the SDK client.
  [`${WEB}/sdk/client.ts`]: ts(),
  [`${WEB}/sdk/current-client.ts`]: ts('./client.js'),
  [`${WEB}/app/main.ts`]: ts('../sdk/client.js', '../sdk/current-client.js'),
  [`${WEB}/features/chat/chat.store.ts`]: ts('../../sdk/current-client.js'),
  [`${WEB}/features/chat/chat.store.test.ts`]: ts('dynamic:../../sdk/current-client.js'),
  [`${WEB}/features/chat/ChatView.vue`]: vue('../../sdk/client.js'),
  [`${WEB}/ui/AppAvatar.vue`]: vue('../sdk/client.js'),
  [`${WEB}/features/chat/rows.ts`]: ts('dynamic:../../sdk/current-client.js'),

  // A devDependency of the server package, as npm lays it out.
  ['packages/server/package.json']: JSON.stringify({ name: 'fixture', devDependencies: { devdep: '1.0.0' } }),
  ['node_modules/devdep/package.json']: JSON.stringify({
    name: 'devdep',
    version: '1.0.0',
    main: 'index.js',
  }),
  ['node_modules/devdep/index.js']: 'module.exports = 1;\n',
};

/** Every offence above, as `rule: from -> to`. Nothing else may be reported. */
const EXPECTED = [
  `service-not-to-other-service: ${S}/services/message/message.service.ts -> ${S}/services/auth/auth.repository.ts`,
  `service-not-to-other-service: ${S}/services/message/message.types.ts -> ${S}/services/auth/auth.service.ts`,
  `service-not-to-gateway: ${S}/services/message/message.module.ts -> ${S}/gateway/public-api.ts`,
  `service-and-gateway-not-to-rpc-internals: ${S}/services/message/message.rpc.ts -> ${S}/rpc/rpc-hub.ts`,
  `peer-clients-are-types-only: ${S}/services/message/message.peers.ts -> ${S}/wiring/peers.ts`,
  `service-and-gateway-not-to-the-map: ${S}/services/message/message.map.ts -> ${S}/modules.ts`,
  `service-and-gateway-not-to-the-map: ${S}/services/message/message.map.ts -> ${S}/wiring/module-kit.ts`,
  `gateway-not-to-services: ${S}/gateway/ws.ts -> ${S}/services/auth/auth.service.ts`,
  `adapter-only-to-kernel: ${S}/adapters/bus/redis.bus.ts -> ${S}/adapters/kv/redis.kv.ts`,
  `kernel-imports-nothing-else: ${S}/kernel/config.ts -> ${S}/rpc/rpc-impl.ts`,
  `contracts-below-services: ${S}/contracts/push.ts -> ${S}/services/auth/auth.service.ts`,
  `transport-below-services: ${S}/rpc/rpc-server.ts -> ${S}/services/auth/auth.service.ts`,
  `product-not-to-tools: ${S}/app.ts -> packages/server/dev/cluster/index.ts`,
  `product-not-to-tools: ${S}/app.ts -> packages/server/test/helpers/server.ts`,
  `product-not-to-dev-dependencies: ${S}/kernel/mail.ts -> node_modules/devdep/index.js`,
  `no-unresolvable: ${S}/kernel/mail.ts -> ./missing.js`,
  'no-circular: packages/sdk/src/a.ts -> packages/sdk/src/b.ts',
  'no-circular: packages/sdk/src/c.ts -> packages/sdk/src/d.ts',
  `web-only-stores-use-the-sdk-client: ${WEB}/features/chat/ChatView.vue -> ${WEB}/sdk/client.ts`,
  `web-only-stores-use-the-sdk-client: ${WEB}/ui/AppAvatar.vue -> ${WEB}/sdk/client.ts`,
  `web-only-stores-use-the-sdk-client: ${WEB}/features/chat/rows.ts -> ${WEB}/sdk/current-client.ts`,
];

describe('layer rules (.dependency-cruiser.cjs)', () => {
  let dir: string;
  let found: string[];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mychat-layers-'));
    for (const [file, text] of Object.entries(TREE)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    }
    const options = await extractDepcruiseOptions(path.join(ROOT, '.dependency-cruiser.cjs'));
    const result = await cruise(['packages'], { ...options, baseDir: dir });
    if (typeof result.output === 'string') throw new Error('expected a cruise result, got a report');
    found = result.output.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
  }, 60_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses each offence, by its rule', () => {
    for (const offence of EXPECTED) expect(found, offence).toContain(offence);
  });

  it('lets everything else through: allowed layers, tests, tools, stores', () => {
    expect(found.filter((v) => !EXPECTED.includes(v))).toEqual([]);
  });

  it('every rule of the config is proved here', async () => {
    const options = await extractDepcruiseOptions(path.join(ROOT, '.dependency-cruiser.cjs'));
    const rules = (options.ruleSet?.forbidden ?? []).map((r) => r.name);
    expect(rules.length).toBeGreaterThan(10);
    expect(new Set(EXPECTED.map((e) => e.split(':')[0]))).toEqual(new Set(rules));
  });

  it('runs in npm run lint, over every package', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.lint).toContain('depcruise packages --config .dependency-cruiser.cjs');
  });
});

describe('server code logs through pino (eslint no-console)', () => {
  const eslint = new ESLint({ cwd: ROOT });
  const consoleErrors = async (filePath: string) =>
    (await eslint.lintText("console.log('x');\nconsole['warn']('w');\n", { filePath }))[0]!.messages.filter(
      (m) => m.ruleId === 'no-console',
    );

  it('refuses console.* in shipped server code', async () => {
    expect(await consoleErrors(`${S}/services/auth/auth.service.ts`)).toHaveLength(2);
    expect(await consoleErrors(`${S}/kernel/logger.ts`)).toHaveLength(2);
  });

  it('allows it in tests', async () => {
    expect(await consoleErrors(`${S}/services/auth/auth.system.test.ts`)).toEqual([]);
    expect(await consoleErrors('packages/server/test/system/faults.system.test.ts')).toEqual([]);
  });
});
