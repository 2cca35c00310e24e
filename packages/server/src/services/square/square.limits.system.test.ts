import { contacts } from '@mychat/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../kernel/clock.js';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
import { befriend } from '../../../test/helpers/contacts-helpers.js';
import {
  makeAdmin,
  people,
  publicBoard,
  SQUARE_SETUPS,
  startSquareEnv,
  thread,
  type SquareEnv,
} from './square.test-helpers.js';

/**
 * The posting limits (per minute, and the new-account daily cap) on a clock moved by hand, and
 * the contacts API the square relies on for group boards.
 */
describe('square posting limits', () => {
  const clock = manualClock();
  let env: SquareEnv;
  beforeAll(async () => {
    env = await startSquareEnv(
      SQUARE_SETUPS[0]!,
      { postsPerMinute: 2, newAccountHours: 24, newAccountPostsPerDay: 3 },
      clock,
    );
  });
  afterAll(() => env?.stop());

  it('caps posts per minute, then a new account per day, never a moderator', async () => {
    const [admin, ann] = await people(env, 'Admin', 'Ann');
    await makeAdmin(env, admin!);
    const board = await publicBoard(env, admin!);
    const t = (await thread(env, ann!, board.id)).thread!;
    await env.square.reply({ threadId: t.id, body: 'two' }, ann!.h);
    const err = await expectReason(
      env.square.reply({ threadId: t.id, body: 'three' }, ann!.h),
      'RATE_LIMITED',
    );
    expect(err.message).toMatch(/wait a minute/);
    clock.advance(61_000);
    await env.square.reply({ threadId: t.id, body: 'three' }, ann!.h);
    clock.advance(61_000);
    // Three posts today: a new account waits until it is a day old.
    await expectReason(
      env.square.reply({ threadId: t.id, body: 'four' }, ann!.h),
      'SQUARE_NEW_ACCOUNT_LIMIT',
    );
    clock.advance(24 * 3_600_000);
    await env.square.reply({ threadId: t.id, body: 'four' }, ann!.h);
    // Moderators are not limited.
    for (let i = 0; i < 5; i++) await env.square.reply({ threadId: t.id, body: `mod ${i}` }, admin!.h);
  });

  it('answers group roles to the square through ContactsInternalService.GetGroupRoles', async () => {
    const internal = env.server.app.value('rpc').client(contacts.ContactsInternalService);
    const [owner, member, outsider] = await people(env, 'Owner', 'Member', 'Outsider');
    await befriend(env.api, owner!, member!);
    const { group } = await env.api.createGroup({ name: 'G', memberIds: [member!.id] }, owner!.h);
    const roles = (id: string) =>
      internal.getGroupRoles({ userId: id, groupIds: [group!.id, '999999999', group!.id] });
    expect((await roles(owner!.id)).roles).toEqual([3, 0, 3]);
    expect((await roles(member!.id)).roles).toEqual([1, 0, 1]);
    expect((await roles(outsider!.id)).roles).toEqual([0, 0, 0]);
    await expectReason(internal.getGroupRoles({ userId: 'x', groupIds: [] }), 'INVALID_ARGUMENT');
    await expectReason(
      internal.getGroupRoles({ userId: owner!.id, groupIds: Array.from({ length: 1001 }, () => group!.id) }),
      'INVALID_ARGUMENT',
    );
  });
});
