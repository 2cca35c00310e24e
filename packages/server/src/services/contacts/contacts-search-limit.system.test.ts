import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorInfoOf } from '../../kernel/errors.js';
import { expectReason, uniqueEmail, uniquePhone } from '../../../test/helpers/auth-helpers.js';
import {
  CONTACTS_SETUPS,
  newUser,
  setupAvailable,
  startContactsEnv,
  type ContactsEnv,
} from '../../../test/helpers/contacts-helpers.js';

/**
 * SearchUsers by exact email or phone says whether an account exists, so those lookups are
 * counted per user, found or not; nickname and id searches are not. Memory kv and Redis.
 */
for (const setup of CONTACTS_SETUPS.filter((s) => !s.fakeMessage && s.engine !== 'mysql')) {
  const ok = await setupAvailable(setup);

  describe.skipIf(!ok)(`exact-address searches on ${setup.name}`, () => {
    let env: ContactsEnv;

    beforeAll(async () => {
      env = await startContactsEnv(setup, { contacts: { exactSearchesPerHour: 3 } });
    });
    afterAll(() => env?.stop());

    it('refuses the fourth exact lookup in an hour, whatever its spelling or answer', async () => {
      const target = await newUser(env, 'Target', uniqueEmail('Target'));
      const me = await newUser(env, 'Prober');
      const other = await newUser(env, 'Other');
      const search = (query: string, who = me) => env.api.searchUsers({ query, limit: 0 }, who.h);

      expect((await search(target.email)).users.map((u) => u.id)).toEqual([target.id]);
      expect((await search(uniqueEmail('nobody'))).users).toEqual([]);
      expect((await search(uniquePhone())).users).toEqual([]);
      // Case and spaces make no new budget, and a hit is refused like a miss.
      const err = await expectReason(search(`  ${target.email.toUpperCase()} `), 'RATE_LIMITED');
      expect(errorInfoOf(err)!.retryAfterSeconds).toBeGreaterThan(3000);
      await expectReason(search(uniquePhone()), 'RATE_LIMITED');

      // Searching by nickname or id is not an address probe and stays open; others are unaffected.
      expect((await search('Targe')).users.map((u) => u.id)).toContain(target.id);
      expect((await search(target.id)).users.map((u) => u.id)).toEqual([target.id]);
      expect((await search(target.email, other)).users.map((u) => u.id)).toEqual([target.id]);
    });
  });
}
