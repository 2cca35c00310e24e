import fs from 'node:fs';
import type { SqlDatabase } from '../../../adapters/sql/sql.js';
import type { Clock } from '../../../kernel/clock.js';
import { inDataDir } from '../../../kernel/config.js';
import type { Logger } from '../../../kernel/logger.js';
import { blockList, listedIn } from '../../../kernel/public-address.js';
import type { SafeFetchOptions } from '../../../kernel/safe-fetch.js';
import type { Bus } from '../../../adapters/bus/bus.js';
import type { IdGenerator } from '../../../kernel/ids.js';
import type { MessageStore } from '../store/message-store.js';
import type { LinkPreviewConfig } from './link-preview.config.js';
import { linkPreviewMigrations } from './link-preview.migrations.js';
import { LinkPreviewRepository } from './link-preview.repository.js';
import { LinkPreviews } from './link-preview.service.js';

/** The guard's operator settings: the allowed private addresses and the extra CA. */
export function linkPreviewGuard(
  c: LinkPreviewConfig,
  dataDir: string,
): Pick<SafeFetchOptions, 'allowAddress' | 'ca'> {
  const list = c.allowedPrivateAddresses.length ? blockList(c.allowedPrivateAddresses) : undefined;
  return {
    ...(list && { allowAddress: (a: string) => listedIn(list, a) }),
    ...(c.caFile && { ca: fs.readFileSync(inDataDir(dataDir, c.caFile), 'utf8') }),
  };
}

/** Migrates the link previews' tables (as `lpv`) and builds the part. */
export async function startLinkPreviews(
  d: {
    sql: SqlDatabase;
    bus: Bus;
    logger: Logger;
    clock: Clock;
    ids: IdGenerator;
    linkPreview: LinkPreviewConfig;
  },
  store: MessageStore,
  guard: Pick<SafeFetchOptions, 'allowAddress' | 'ca'>,
): Promise<LinkPreviews> {
  await d.sql.migrate('lpv', linkPreviewMigrations(d.sql.engine));
  return new LinkPreviews({
    repo: new LinkPreviewRepository(d.sql),
    message: { store, bus: d.bus, logger: d.logger, clock: d.clock, ids: d.ids },
    config: d.linkPreview,
    guard,
  });
}
