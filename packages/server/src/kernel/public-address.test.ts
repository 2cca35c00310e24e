import { describe, expect, it } from 'vitest';
import { isPublicAddress, mappedIpv4, resolveHost } from './public-address.js';

describe('isPublicAddress', () => {
  it.each([
    ['8.8.8.8', true],
    ['93.184.216.34', true],
    ['2606:4700:4700::1111', true],
    ['127.0.0.1', false],
    ['127.255.0.9', false],
    ['10.0.0.1', false],
    ['172.16.5.4', false],
    ['172.31.255.255', false],
    ['172.32.0.1', true],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['100.127.255.255', false],
    ['0.0.0.0', false],
    ['224.0.0.1', false],
    ['255.255.255.255', false],
    ['198.18.0.1', false],
    ['192.0.2.1', false],
    ['::1', false],
    ['::', false],
    ['fe80::1', false],
    ['fc00::1', false],
    ['fd12:3456::1', false],
    ['ff02::1', false],
    ['::ffff:127.0.0.1', false],
    ['::ffff:7f00:1', false],
    ['0:0:0:0:0:ffff:a00:1', false],
    ['::ffff:8.8.8.8', true],
    ['64:ff9b::a00:1', false],
    ['2002:a00:1::', false],
    ['2001:db8::1', false],
    ['not an ip', false],
  ])('%s -> %s', (a, want) => {
    expect(isPublicAddress(a)).toBe(want);
  });

  it('reads the IPv4 part of mapped addresses in every spelling', () => {
    expect(mappedIpv4('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(mappedIpv4('::ffff:a01:203')).toBe('10.1.2.3');
    expect(mappedIpv4('0:0:0:0:0:ffff:a01:203')).toBe('10.1.2.3');
    expect(mappedIpv4('2001:db8::1')).toBeUndefined();
  });
});

describe('resolveHost', () => {
  it('answers an IP literal (bracketed IPv6 too) without asking DNS', async () => {
    const never = () => Promise.reject(new Error('asked'));
    expect(await resolveHost('10.0.0.1', never, 100)).toEqual([{ address: '10.0.0.1', family: 4 }]);
    expect(await resolveHost('[::1]', never, 100)).toEqual([{ address: '::1', family: 6 }]);
  });

  it('gives up on a slow or empty answer', async () => {
    const slow = () => new Promise<never>(() => undefined);
    await expect(resolveHost('slow.example', slow, 20)).rejects.toThrow('DNS timeout');
    await expect(resolveHost('none.example', () => Promise.resolve([]), 20)).rejects.toThrow('no address');
  });
});
