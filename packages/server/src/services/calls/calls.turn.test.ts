import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { iceServersFor, turnCredential } from './calls.turn.js';

const NOW = 1_800_000_000_123;

describe('TURN REST credentials', () => {
  it('username is "<expiry>:<userId>", password base64(HMAC-SHA1(secret, username))', () => {
    const c = turnCredential('s3cret', '42', NOW, 600);
    expect(c.username).toBe(`${1_800_000_000 + 600}:42`);
    expect(c.credential).toBe(createHmac('sha1', 's3cret').update(c.username).digest('base64'));
    expect(c.expiresAtMs).toBe((1_800_000_000 + 600) * 1000);
    // Another secret or user gives another password.
    expect(turnCredential('other', '42', NOW, 600).credential).not.toBe(c.credential);
    expect(turnCredential('s3cret', '43', NOW, 600).credential).not.toBe(c.credential);
  });

  it('hands out STUN alone without a TURN secret, and TURN with a fresh credential with one', () => {
    const base = {
      stunUrls: ['stun:turn.example.com:3478'],
      turnUrls: [],
      turnSecret: '',
      turnTtlSeconds: 600,
    };
    expect(iceServersFor(base, '42', NOW)).toEqual({
      iceServers: [{ urls: ['stun:turn.example.com:3478'], username: '', credential: '' }],
      expiresAtMs: 0,
    });
    // TURN urls but no secret: no relay rather than a relay that refuses everyone.
    expect(iceServersFor({ ...base, turnUrls: ['turn:t:3478'] }, '42', NOW).iceServers).toHaveLength(1);
    const withTurn = iceServersFor({ ...base, turnUrls: ['turn:t:3478'], turnSecret: 'k' }, '42', NOW);
    expect(withTurn.iceServers[1]).toMatchObject({ urls: ['turn:t:3478'], username: `${1_800_000_600}:42` });
    expect(withTurn.expiresAtMs).toBe(1_800_000_600_000);
  });
});
