import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import vue from 'eslint-plugin-vue';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'packages/protocol/src/gen/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Vue single-file components: the recommended rule set, TypeScript inside <script setup lang="ts">.
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } },
    rules: {
      // App components are not a shared library; a one-word name here cannot clash with HTML.
      'vue/multi-word-component-names': ['error', { ignores: ['Composer'] }],
    },
  },
  prettier,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // The web client runs in the browser.
    files: ['packages/web/src/**', 'packages/web/public/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Only stores talk to the SDK: views and components call a store, which wraps the client.
    // app/main.ts builds the client and hands it to the stores (sdk/current-client.ts).
    files: ['packages/web/src/**/*.{ts,vue}'],
    ignores: ['packages/web/src/**/*.store.ts', 'packages/web/src/sdk/**', 'packages/web/src/app/main.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/sdk/client',
                '**/sdk/client.js',
                '**/sdk/current-client',
                '**/sdk/current-client.js',
              ],
              message: 'Only stores (*.store.ts) talk to the SDK client: call a store instead.',
            },
          ],
        },
      ],
    },
  },
  {
    // Server code logs through pino only.
    files: ['packages/server/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'no-console': 'error' },
  },
);
