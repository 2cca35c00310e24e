import { describe, expect, it } from 'vitest';
import { parseProxyEntry, ProxyTrust } from './proxy-trust.js';

/** A request as the socket and headers present it. */
const req = (peer: string, xff?: string | string[], host?: string) => ({
  socket: { remoteAddress: peer },
  headers: {
    ...(xff !== undefined && { 'x-forwarded-for': xff }),
    ...(host && { 'x-forwarded-host': host }),
  },
});

describe('ProxyTrust.clientAddress', () => {
  const trust = new ProxyTrust(['127.0.0.1', '10.0.0.0/8', 'fd00::/8']);

  it('ignores X-Forwarded-For entirely when the peer is not a trusted proxy', () => {
    expect(trust.clientAddress(req('198.51.100.7', '1.2.3.4'))).toBe('198.51.100.7');
    expect(new ProxyTrust([]).clientAddress(req('127.0.0.1', '1.2.3.4'))).toBe('127.0.0.1');
  });

  it('takes the right-most entry that is not a trusted proxy, never a forged left one', () => {
    // The client forged "1.2.3.4"; nginx appended the real peer, then a second proxy hop.
    expect(trust.clientAddress(req('127.0.0.1', '1.2.3.4, 203.0.113.9, 10.1.2.3'))).toBe('203.0.113.9');
    expect(trust.clientAddress(req('::ffff:10.0.0.5', ['1.2.3.4', '203.0.113.9']))).toBe('203.0.113.9');
  });

  it('walks IPv6 hops and subnets', () => {
    expect(trust.clientAddress(req('fd00::1', '2001:db8::5, fd12::7'))).toBe('2001:db8::5');
  });

  it('stops at garbage in the chain and keeps the last good hop', () => {
    expect(trust.clientAddress(req('127.0.0.1', 'not-an-ip'))).toBe('127.0.0.1');
    expect(trust.clientAddress(req('127.0.0.1', '203.0.113.9, bogus, 10.0.0.2'))).toBe('10.0.0.2');
  });

  it('falls back to the peer when a trusted proxy sent no header', () => {
    expect(trust.clientAddress(req('127.0.0.1'))).toBe('127.0.0.1');
  });

  it('reads X-Forwarded-Host only from a trusted peer', () => {
    expect(trust.forwardedHeader(req('127.0.0.1', undefined, 'chat.example.com'), 'host')).toBe(
      'chat.example.com',
    );
    expect(trust.forwardedHeader(req('198.51.100.7', undefined, 'chat.example.com'), 'host')).toBeUndefined();
  });
});

describe('parseProxyEntry', () => {
  it('accepts addresses and CIDR blocks of both families', () => {
    expect(parseProxyEntry('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseProxyEntry('::1')).toEqual({ address: '::1', family: 'ipv6' });
  });

  it('refuses host names, bad prefixes and junk with a message naming the entry', () => {
    for (const bad of ['proxy.local', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/8/1', '10.0.0.0/x', ''])
      expect(parseProxyEntry(bad)).toMatch(/^".*"/);
  });
});
