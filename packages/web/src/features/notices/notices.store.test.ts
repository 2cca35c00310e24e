import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeClient, installBrowserGlobals } from '../../sdk/fake-client.test-helpers.js';

installBrowserGlobals();
const { provideClient } = await import('../../sdk/current-client.js');
const { useNoticesStore } = await import('./notices.store.js');

const notice = (id: string) => ({ id, title: `Notice ${id}`, body: 'tonight', createdAt: 1 });

describe('notices store', () => {
  let fake: FakeClient;
  beforeEach(() => {
    fake = new FakeClient();
    provideClient(fake.asClient());
    setActivePinia(createPinia());
  });

  it('shows a notice as it arrives; a dismissed one never comes back on this device', () => {
    const s = useNoticesStore();
    expect(s.current).toBeNull();
    fake.emit('systemNotice', notice('1'));
    expect(s.current).toEqual({ id: '1', title: 'Notice 1', body: 'tonight' });
    s.dismiss();
    expect(s.current).toBeNull();
    fake.emit('systemNotice', notice('1'));
    expect(s.current).toBeNull();
    fake.emit('systemNotice', notice('2'));
    expect(s.current?.title).toBe('Notice 2');
  });
});
