import { describe, expect, it } from 'vitest';
// Vue looks at `document` when it loads: before the stand-in globals, as in the store tests.
import 'vue';
import { installBrowserGlobals } from '../sdk/fake-client.test-helpers.js';

installBrowserGlobals();
const { i18n, loadMomentsMessages } = await import('./index.js');

describe('the moments strings', () => {
  it('the shell has its few at once; the pages’ arrive with them, merged in without losing any other', async () => {
    const { te, t } = i18n.global;
    for (const l of ['en', 'zh-CN'] as const) {
      expect(te('moments.discover', l)).toBe(true);
      expect(te('moments.title', l)).toBe(false);
      expect(te('errors.MOMENT_EMPTY', l)).toBe(false);
    }
    await Promise.all([loadMomentsMessages(), loadMomentsMessages()]);
    for (const l of ['en', 'zh-CN'] as const) {
      expect(te('moments.title', l)).toBe(true);
      expect(te('moments.discover', l)).toBe(true);
      expect(te('errors.MOMENT_EMPTY', l)).toBe(true);
      expect(te('errors.NOT_FOUND', l)).toBe(true);
    }
    expect(t('moments.audience.only', {}, { locale: 'zh-CN' })).toBe('部分可见');
  });
});
