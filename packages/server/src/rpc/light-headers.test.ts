import { describe, expect, it } from 'vitest';
import { LightHeaders } from './light-headers.js';

/** Runs the same steps on a Fetch `Headers` and a `LightHeaders`; both must end up alike. */
function both(init: ConstructorParameters<typeof Headers>[0], steps: (h: Headers) => void) {
  const real = new Headers(init);
  const light = new LightHeaders(init);
  steps(real);
  steps(light);
  return { real, light };
}

describe('LightHeaders behaves as Headers for what in-process calls do', () => {
  it.each([
    ['a record', { 'X-Request-Id': 'r1', 'x-mychat-user-id': '42' }],
    [
      'pairs',
      [
        ['X-Request-Id', 'r1'],
        ['x-mychat-user-id', '42'],
      ] as [string, string][],
    ],
    ['a Headers', new Headers({ 'X-Request-Id': 'r1', 'x-mychat-user-id': '42' })],
    ['a LightHeaders', new LightHeaders({ 'X-Request-Id': 'r1', 'x-mychat-user-id': '42' })],
  ])('is built from %s, names case-insensitive', (_, init) => {
    const { real, light } = both(init, () => undefined);
    for (const name of ['x-request-id', 'X-REQUEST-ID', 'x-mychat-user-id', 'missing']) {
      expect(light.get(name)).toBe(real.get(name));
      expect(light.has(name)).toBe(real.has(name));
    }
    expect([...light]).toEqual([...real]);
  });

  it('set replaces, append joins, delete removes; iteration is sorted by name', () => {
    const { real, light } = both(undefined, (h) => {
      h.set('B-Name', '1');
      h.append('b-name', '2');
      h.set('a-name', 'x');
      h.set('a-name', 'y');
      h.append('c', '3');
      h.delete('C');
    });
    expect(light.get('b-name')).toBe('1, 2');
    expect([...light.entries()]).toEqual([...real.entries()]);
    expect([...light.keys()]).toEqual([...real.keys()]);
    expect([...light.values()]).toEqual([...real.values()]);
    const seen: string[] = [];
    light.forEach((v, k) => seen.push(`${k}=${v}`));
    expect(seen).toEqual(['a-name=y', 'b-name=1, 2']);
  });

  it('keeps set-cookie values apart', () => {
    const { real, light } = both(undefined, (h) => {
      h.append('Set-Cookie', 'a=1');
      h.append('set-cookie', 'b=2');
    });
    expect(light.getSetCookie()).toEqual(real.getSetCookie());
    expect([...light]).toEqual([...real]);
  });

  it('is accepted where a HeadersInit is (a next call made with it)', () => {
    const light = new LightHeaders({ 'x-request-id': 'r9' });
    expect(new Headers(light).get('x-request-id')).toBe('r9');
  });

  it('an absent name reads as null, an empty value as empty', () => {
    const light = new LightHeaders({ empty: '' });
    expect(light.get('nothing')).toBeNull();
    expect(light.get('empty')).toBe('');
    expect(light.has('empty')).toBe(true);
  });
});
