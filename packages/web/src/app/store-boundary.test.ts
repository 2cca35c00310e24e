import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The repository's eslint config is the check; this pins that it refuses a view reaching the SDK.
const eslint = new ESLint({ cwd: new URL('../../../../', import.meta.url).pathname });
const restricted = async (file: string, code: string) =>
  (await eslint.lintText(code, { filePath: file }))[0]!.messages.filter(
    (m) => m.ruleId === 'no-restricted-imports',
  );

describe('only stores talk to the SDK client', () => {
  it('refuses the client in a view, a component and a plain module', async () => {
    const vue = `<script setup lang="ts">\nimport { client } from '../../sdk/client.js';\nvoid client;\n</script>\n<template><p /></template>\n`;
    expect(await restricted('packages/web/src/features/chat/ChatView.vue', vue)).toHaveLength(1);
    expect(await restricted('packages/web/src/ui/AppAvatar.vue', vue.replace('../../', '../'))).toHaveLength(
      1,
    );
    const ts = `import { sdkClient } from '../../sdk/current-client.js';\nexport const c = sdkClient;\n`;
    expect(await restricted('packages/web/src/features/chat/rows.ts', ts)).toHaveLength(1);
  });

  it('lets a store and the composition root use it', async () => {
    const ts = `import { sdkClient } from '../../sdk/current-client.js';\nexport const c = sdkClient;\n`;
    expect(await restricted('packages/web/src/features/chat/chat.store.ts', ts)).toEqual([]);
    const main = `import { client } from '../sdk/client.js';\nexport const c = client;\n`;
    expect(await restricted('packages/web/src/app/main.ts', main)).toEqual([]);
  });
});
