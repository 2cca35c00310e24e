import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../kernel/errors.js';
import { AccessTokens } from './access-tokens.js';

const dir = mkdtempSync(join(tmpdir(), 'mychat-tokens-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const claims = { userId: '42', sessionId: 's1', clientType: 'web', deviceId: 'd1' };

describe('access tokens', () => {
  const tokens = AccessTokens.fromKeyFile(join(dir, 'jwt.pem'));

  it('verifies a token it signed, again and again (remembered), until it expires', async () => {
    const now = Date.now();
    const { token, exp } = await tokens.sign(claims, 60, now);
    expect(await tokens.verify(token, now)).toEqual({ ...claims, exp });
    const again = await tokens.verify(token, now + 1000);
    expect(again).toEqual({ ...claims, exp });
    again.userId = 'changed'; // a caller's copy: the remembered claims stay
    expect((await tokens.verify(token, now + 2000)).userId).toBe('42');
    // Remembered or not, expiry is checked on every use.
    await expect(tokens.verify(token, exp * 1000)).rejects.toMatchObject({ code: ErrorCode.TOKEN_EXPIRED });
    await expect(tokens.verify(token, now)).resolves.toMatchObject({ userId: '42' });
  });

  it('refuses tampered, foreign and malformed tokens, also after the genuine one was verified', async () => {
    const now = Date.now();
    const { token } = await tokens.sign(claims, 60, now);
    await tokens.verify(token, now);
    const [h, p, s] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sub: '1' }),
    );
    await expect(tokens.verify(`${h}.${forged.toString('base64url')}.${s}`, now)).rejects.toMatchObject({
      code: ErrorCode.TOKEN_INVALID,
    });
    const other = AccessTokens.fromKeyFile(join(dir, 'other.pem'));
    const foreign = (await other.sign(claims, 60, now)).token;
    await expect(tokens.verify(foreign, now)).rejects.toMatchObject({ code: ErrorCode.TOKEN_INVALID });
    await expect(tokens.verify('', now)).rejects.toMatchObject({ code: ErrorCode.TOKEN_INVALID });
    await expect(tokens.verify('x'.repeat(4097), now)).rejects.toMatchObject({
      code: ErrorCode.TOKEN_INVALID,
    });
  });
});
