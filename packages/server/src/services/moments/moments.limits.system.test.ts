import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorInfoOf } from '../../kernel/errors.js';
import { expectReason } from '../../../test/helpers/auth-helpers.js';
import type { TestUser } from '../../../test/helpers/contacts-helpers.js';
import {
  friendsWith,
  MOMENTS_SETUPS,
  people,
  publish,
  startMomentsEnv,
  type MomentsEnv,
} from './moments.test-helpers.js';

/**
 * Per-person hourly limits on what reaches other people: posts, comments, likes (and unlikes,
 * so a like-unlike loop cannot spam notices). One person's limit never touches another's.
 */
describe('moments rate limits', () => {
  let env: MomentsEnv;
  let ann: TestUser, ben: TestUser;

  beforeAll(async () => {
    env = await startMomentsEnv(MOMENTS_SETUPS[0]!, undefined, {
      moments: { fanoutPollMs: 50, postsPerHour: 2, commentsPerHour: 2, likesPerHour: 3 },
    });
    [ann, ben] = await people(env, 'Ann', 'Ben');
    await friendsWith(env, ann, ben);
  });
  afterAll(() => env?.stop());

  it('refuses the post, comment and like past the hour’s limit, with a retry-after', async () => {
    const first = await publish(env, ann, { text: 'one' });
    await publish(env, ann, { text: 'two' });
    const err = await expectReason(env.moments.publishMoment({ text: 'three' }, ann.h), 'RATE_LIMITED');
    expect(errorInfoOf(err)!.retryAfterSeconds).toBeGreaterThan(3000);
    // Ben's posts are counted apart.
    await publish(env, ben, { text: 'mine' });

    await env.moments.commentMoment({ momentId: first.id, text: 'a' }, ben.h);
    await env.moments.commentMoment({ momentId: first.id, text: 'b' }, ben.h);
    await expectReason(env.moments.commentMoment({ momentId: first.id, text: 'c' }, ben.h), 'RATE_LIMITED');

    await env.moments.likeMoment({ momentId: first.id }, ben.h);
    await env.moments.unlikeMoment({ momentId: first.id }, ben.h);
    await env.moments.likeMoment({ momentId: first.id }, ben.h);
    await expectReason(env.moments.unlikeMoment({ momentId: first.id }, ben.h), 'RATE_LIMITED');
    await expectReason(env.moments.likeMoment({ momentId: first.id }, ben.h), 'RATE_LIMITED');
  });

  it('counts nothing for bad input (an empty post is refused for what it is)', async () => {
    await expectReason(env.moments.publishMoment({ text: '' }, ben.h), 'MOMENT_EMPTY');
  });
});
