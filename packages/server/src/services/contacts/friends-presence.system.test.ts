import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAuthed } from '../../gateway/ws/ws.test-helpers.js';
import {
  befriend,
  newUser,
  startContactsEnv,
  type ContactsEnv,
} from '../../../test/helpers/contacts-helpers.js';

/** ListFriends shows who is online now; blocked pairs see no presence. */
describe('friends with presence', () => {
  let env: ContactsEnv;
  beforeAll(async () => {
    env = await startContactsEnv(
      { name: 'SQLite', engine: 'sqlite', redis: false },
      { ws: { presenceDebounceMs: 50 } },
    );
  });
  afterAll(() => env?.stop());

  it('reports online, then last seen, and hides presence across a block', async () => {
    const [a, b, c] = [await newUser(env, 'A'), await newUser(env, 'B'), await newUser(env, 'C')];
    await befriend(env.api, a, b);
    await befriend(env.api, a, c);
    const token = (u: typeof a) => u.h.headers.authorization.replace('Bearer ', '');
    const bSocket = await connectAuthed(env.server, token(b));
    const cSocket = await connectAuthed(env.server, token(c));

    const view = async () =>
      new Map((await env.api.listFriends({}, a.h)).friends.map((f) => [f.user!.id, f]));
    let friends = await view();
    expect(friends.get(b.id)).toMatchObject({ online: true, lastSeenMs: 0 });
    expect(friends.get(c.id)?.online).toBe(true);

    bSocket.ws.close();
    // Offline is announced after the debounce, on the gateway's next sweep.
    await expect.poll(async () => (await view()).get(b.id)?.online, { timeout: 5000 }).toBe(false);
    friends = await view();
    expect(friends.get(b.id)!.lastSeenMs).toBeGreaterThan(Date.now() - 10_000);

    await env.api.blockUser({ userId: a.id }, c.h);
    friends = await view();
    expect(friends.get(c.id)).toMatchObject({ online: false, lastSeenMs: 0 });
    cSocket.ws.close();
  });
});
