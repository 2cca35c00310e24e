import { square as pb } from '@mychat/protocol';
import type { Bus } from '../../adapters/bus/bus.js';
import {
  encodeSquareReport,
  SQUARE_REPORT_CHANNEL,
  squareReportRequest,
} from '../../contracts/square-report.js';
import type { SqlDatabase } from '../../adapters/sql/sql.js';
import type { Clock } from '../../kernel/clock.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Logger } from '../../kernel/logger.js';
import { serves, type ServiceInstance } from '../../rpc/rpc-impl.js';
import type { Peers } from '../../wiring/peers.js';
import { Access } from './square.access.js';
import type { SquareConfig } from './square.config.js';
import { squareMigrations } from './square.migrations.js';
import { Moderation } from './square.moderation.js';
import { Notices } from './square.notices.js';
import { IndexFeed } from './square.index-feed.js';
import { squareInternalRpc } from './square.internal.rpc.js';
import { Contacts, SquareMedia, SquarePush } from './square.peers.js';
import { Posts } from './square.posts.js';
import { Purge } from './square.purge.js';
import { Reader } from './square.reader.js';
import { SquareStore } from './square.repository.js';
import { squareRpc } from './square.rpc.js';

export interface SquareModuleDeps {
  sql: SqlDatabase;
  bus: Bus;
  /** Group roles and profiles (contacts); the images of posts (media). */
  peers: Peers<'contacts' | 'media'>;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
  config: SquareConfig;
}

/**
 * Builds the square (boards, threads, replies, moderation, notices), migrates its tables and
 * returns SquareService and SquareInternalService (the search indexer's feed) for the wiring to serve.
 */
export async function initSquare(d: SquareModuleDeps): Promise<ServiceInstance<void>> {
  await d.sql.migrate('square', squareMigrations);
  const store = SquareStore.of(d.sql);
  const contacts = new Contacts(d.peers.contacts.internal);
  const media = new SquareMedia(d.peers.media.internal, d.logger);
  const push = new SquarePush(d.bus, d.logger);
  const access = new Access({ store, contacts, clock: d.clock, config: d.config });
  const notices = new Notices({ store, contacts, push, ids: d.ids, clock: d.clock });
  const posts = new Posts({
    store,
    access,
    contacts,
    media,
    notices,
    ids: d.ids,
    clock: d.clock,
    logger: d.logger,
  });
  const reader = new Reader({ store, access, contacts, media, clock: d.clock });
  const moderation = new Moderation({
    store,
    access,
    contacts,
    posts,
    ids: d.ids,
    clock: d.clock,
    announce: (r, postCreatedAt) =>
      d.bus
        .publish(SQUARE_REPORT_CHANNEL, encodeSquareReport(squareReportRequest(r, postCreatedAt)))
        .catch((err: unknown) => d.logger.warn({ err, report_id: r.id }, 'square report not announced')),
  });
  return {
    value: undefined,
    rpc: [
      serves(
        pb.SquareService,
        squareRpc({ reader, posts, moderation, notices }, () => d.clock.now()),
      ),
      serves(
        pb.SquareInternalService,
        squareInternalRpc(new IndexFeed({ store, access }), new Purge({ store, posts })),
      ),
    ],
  };
}
