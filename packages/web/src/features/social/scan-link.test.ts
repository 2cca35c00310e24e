import { describe, expect, it } from 'vitest';
import { appPathOf } from './scan-link.js';

describe('appPathOf', () => {
  const origin = 'https://chat.example.com';
  it('opens add-friend and join links of this app', () => {
    expect(appPathOf('https://chat.example.com/add/123', origin)).toBe('/add/123');
    expect(appPathOf(' https://chat.example.com/join/AbC_d-1234 ', origin)).toBe('/join/AbC_d-1234');
  });
  it('refuses other sites, other paths and junk', () => {
    expect(appPathOf('https://evil.example.com/add/123', origin)).toBeUndefined();
    expect(appPathOf('https://chat.example.com/settings', origin)).toBeUndefined();
    expect(appPathOf('https://chat.example.com/add/12x', origin)).toBeUndefined();
    expect(appPathOf('javascript:alert(1)', origin)).toBeUndefined();
    expect(appPathOf('not a link', origin)).toBeUndefined();
  });
});
