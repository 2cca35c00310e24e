import { hkdfSync } from 'node:crypto';
import { auth } from '@mychat/protocol';
import type { Bus } from '../../adapters/bus/bus.js';
import type { Kv } from '../../adapters/kv/kv.js';
import { touchCircles } from '../../contracts/circle-stamps.js';
import type { Mailer } from '../../adapters/mail/mail.js';
import type { SmsSender } from '../../adapters/sms/sms.js';
import type { SqlDatabase } from '../../adapters/sql/sql.js';
import type { Clock } from '../../kernel/clock.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Logger } from '../../kernel/logger.js';
import { serves, type ServiceInstance } from '../../rpc/rpc-impl.js';
import type { Peers } from '../../wiring/peers.js';
import type { AccessTokens } from '../../adapters/tokens/access-tokens.js';
import { SessionRevocations } from '../../contracts/sessions.js';
import { InFlightLimit } from '../../kernel/in-flight-limit.js';
import { WindowLimit } from '../../adapters/kv/window-limit.js';
import { PasswordAttempts } from './auth.attempts.js';
import { VerificationCodes } from './auth.codes.js';
import type { authConfigSchema } from './auth.config.js';
import { authMigrations } from './auth.migrations.js';
import { ProfilePictures } from './auth.avatars.js';
import { PasswordHasher } from './auth.passwords.js';
import { AuthRepository } from './auth.repository.js';
import { authRpc } from './auth.rpc.js';
import { userDirectoryRpc } from './auth-directory.rpc.js';
import { RevocationRefill } from './auth.revocations.js';
import { AuthService } from './auth.service.js';
import { AuthAdmin } from './auth.admin.js';
import { authAdminRpc } from './auth-admin.rpc.js';
import { AccountFlagsRepository } from './auth.flags.repository.js';

export interface AuthModuleDeps {
  sql: SqlDatabase;
  kv: Kv;
  bus: Bus;
  mail: Mailer;
  sms: SmsSender;
  tokens: AccessTokens;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
  config: ReturnType<(typeof authConfigSchema)['parse']>;
  /** Secret material the code HMAC key is derived from (the JWT key file's contents). */
  keyMaterial: string;
  /** Media holds the profile pictures. */
  peers: Peers<'media'>;
}

/** Builds the auth service and migrates its tables; returns its two APIs for the wiring to serve. */
export async function initAuth(d: AuthModuleDeps): Promise<ServiceInstance<AuthService>> {
  await d.sql.migrate('auth', authMigrations);
  const c = d.config;
  const repo = new AuthRepository(d.sql);
  const flags = new AccountFlagsRepository(d.sql);
  const revocations = new SessionRevocations(d.kv, (c.accessTokenTtlSeconds + 60) * 1000);
  // Before serving: a restart on the in-memory kv (or a Redis that came back empty) must
  // not bring ended sessions back to life.
  const refill = new RevocationRefill({ repo, revocations, clock: d.clock, logger: d.logger });
  await refill.refill();
  refill.watch(c.revocationCheckMs);
  const codeKey = Buffer.from(hkdfSync('sha256', d.keyMaterial, 'mychat', 'verification-code-hmac', 32));
  const hasher = new PasswordHasher({
    memoryCostKib: c.argon2MemoryKib,
    timeCost: c.argon2TimeCost,
    concurrency: c.hashConcurrency,
    maxQueue: c.hashQueueMax,
  });
  const profileChanged = (ids: string[]) => touchCircles(d.kv, 'profile', ids);
  const service = new AuthService({
    repo,
    profileChanged,
    flags,
    codes: new VerificationCodes(
      d.kv,
      codeKey,
      {
        ttlSeconds: c.codeTtlSeconds,
        maxAttempts: c.codeMaxAttempts,
        maxAttemptsTotal: c.codeMaxAttemptsTotal,
        triesPerIpPerHour: c.codeTriesPerIpPerHour,
        cooldownSeconds: c.sendCooldownSeconds,
        perDestinationPerHour: c.sendPerDestinationPerHour,
        perIpPerHour: c.sendPerIpPerHour,
      },
      d.clock,
    ),
    hasher,
    tokens: d.tokens,
    revocations,
    mailer: d.mail,
    sms: d.sms,
    bus: d.bus,
    ids: d.ids,
    clock: d.clock,
    logger: d.logger,
    rules: c,
    attempts: new PasswordAttempts(d.sql, d.clock, {
      limit: c.loginFailuresPerWindow,
      windowMs: c.loginFailureWindowSeconds * 1000,
    }),
    loginsInFlightPerIp: new InFlightLimit(c.loginInFlightPerIp),
    loginsPerIp: new WindowLimit(d.kv, 'auth:login-ip', c.loginPerIpPerWindow, c.loginIpWindowSeconds * 1000),
  });
  return {
    value: service,
    rpc: [
      serves(
        auth.AuthService,
        authRpc(service, new ProfilePictures(repo, d.peers.media.internal, d.clock, profileChanged)),
      ),
      serves(auth.UserDirectoryService, {
        ...userDirectoryRpc(repo, () => d.clock.now()),
        ...authAdminRpc(
          repo,
          new AuthAdmin({ repo, flags, service, hasher, clock: d.clock, logger: d.logger, profileChanged }),
        ),
      }),
    ],
    stop: async () => {
      await refill.stop();
      await service.drain();
    },
  };
}
