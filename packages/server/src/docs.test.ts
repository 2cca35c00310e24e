import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema } from './config.schema.js';
import { configKeys } from './kernel/config.js';

const operations = fs.readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8');

describe('docs/operations.md', () => {
  it('documents every config key with its environment variable', () => {
    const missing = configKeys(configSchema)
      .map((k) => ({ key: k.path.join('.'), env: k.env }))
      .filter(({ key, env }) => !operations.includes(`\`${key}\``) || !operations.includes(`\`${env}\``));
    expect(missing).toEqual([]);
  });
});
