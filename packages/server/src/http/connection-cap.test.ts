import { describe, expect, it } from 'vitest';
import {
  connectionCap,
  descriptorLimit,
  FALLBACK_MAX_CONNECTIONS,
  RESERVED_DESCRIPTORS,
} from './connection-cap.js';

const limits = (soft: string, hard: string) =>
  'Limit                     Soft Limit           Hard Limit           Units     \n' +
  'Max processes             63704                63704                processes \n' +
  `Max open files            ${soft.padEnd(21)}${hard.padEnd(21)}files     \n`;

describe('connectionCap', () => {
  it('keeps an automatic cap below the open-file limit, with descriptors to spare', () => {
    expect(connectionCap(0, 20_000)).toBe(20_000 - RESERVED_DESCRIPTORS);
    expect(connectionCap(0, 1_024)).toBe(1_024 - RESERVED_DESCRIPTORS);
    expect(connectionCap(0, 256)).toBe(64);
  });

  it('takes a configured cap as it is', () => {
    expect(connectionCap(5, 20_000)).toBe(5);
  });

  it('falls back when the limit is unknown', () => {
    expect(connectionCap(0, undefined)).toBe(FALLBACK_MAX_CONNECTIONS);
  });

  it('reads the soft limit from /proc/self/limits text, and "unlimited" as unknown', () => {
    expect(descriptorLimit(limits('20000', '40000'))).toBe(20_000);
    expect(descriptorLimit(limits('unlimited', 'unlimited'))).toBeUndefined();
    expect(descriptorLimit('garbage')).toBeUndefined();
  });

  it.runIf(process.platform === 'linux')('reads this process’s own limit on Linux', () => {
    expect(descriptorLimit()).toBeGreaterThan(0);
  });
});
