import { describe, expect, it } from 'vitest';
import { newRequestId } from './ws-requests.js';

describe('newRequestId', () => {
  it('is unique, and passes the request-id check of the HTTP edges', () => {
    const ids = Array.from({ length: 10_000 }, () => newRequestId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of [ids[0]!, ids.at(-1)!]) expect(id).toMatch(/^[A-Za-z0-9._:-]{8,64}$/);
  });

  it('carries a per-process random prefix', () => {
    const [a, b] = [newRequestId(), newRequestId()];
    expect(a.split('-').slice(0, -1).join('-')).toBe(b.split('-').slice(0, -1).join('-'));
    expect(a.length).toBeGreaterThanOrEqual(10);
  });
});
