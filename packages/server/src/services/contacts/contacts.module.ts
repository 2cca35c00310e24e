import { contacts } from '@mychat/protocol';
import type { Bus } from '../../adapters/bus/bus.js';
import type { Kv } from '../../adapters/kv/kv.js';
import type { SqlDatabase } from '../../adapters/sql/sql.js';
import type { Clock } from '../../kernel/clock.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Logger } from '../../kernel/logger.js';
import { serves, type ServiceInstance } from '../../rpc/rpc-impl.js';
import { presenceOf } from '../../contracts/presence-keys.js';
import type { Peers } from '../../wiring/peers.js';
import { touchCircles } from '../../contracts/circle-stamps.js';
import { WindowLimit } from '../../adapters/kv/window-limit.js';
import type { contactsConfigSchema } from './contacts.config.js';
import { GroupPictures } from './groups.avatars.js';
import { contactsMigrations } from './contacts.migrations.js';
import { FriendGraph } from './contacts.graph.js';
import { ContactPush, Conversations, Directory } from './contacts.peers.js';
import { ContactsRepository } from './contacts.repository.js';
import { contactsInternalRpc, contactsRpc } from './contacts.rpc.js';
import { ContactsService } from './contacts.service.js';
import { ConversationSync } from './contacts.sync.js';
import { FriendTags, friendTagsRpc, resolveFriendTagsRpc } from './contacts.tags.js';
import { GroupsRepository } from './groups.repository.js';
import { groupsRpc } from './groups.rpc.js';
import { ContactsAdmin } from './groups.admin.js';
import { contactsAdminRpc } from './contacts-admin.rpc.js';
import { GroupsService } from './groups.service.js';

export interface ContactsModuleDeps {
  sql: SqlDatabase;
  kv: Kv;
  bus: Bus;
  /** User lookups (auth), the conversations of friends and groups (message), group pictures (media). */
  peers: Peers<'auth' | 'message' | 'media'>;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
  config: ReturnType<(typeof contactsConfigSchema)['parse']>;
  /** The deadline of internal calls (rpc.timeoutMs). */
  callTimeoutMs?: number;
}

/**
 * Builds the contacts service (friends, requests, blocks, groups), migrates its tables,
 * returns ContactsService and ContactsInternalService for the wiring to serve, and runs the
 * loop that re-sends to the message service what it has not taken yet.
 */
export async function initContacts(d: ContactsModuleDeps): Promise<ServiceInstance<void>> {
  await d.sql.migrate('contacts', contactsMigrations);
  const repo = ContactsRepository.of(d.sql);
  const groupsRepo = GroupsRepository.of(d.sql);
  const directory = new Directory(d.peers.auth.directory);
  const conversations = new Conversations(d.peers.message.internal, d.logger);
  const push = new ContactPush(d.bus, d.logger);
  const sync = new ConversationSync({
    contacts: repo,
    groups: groupsRepo,
    conversations,
    kv: d.kv,
    clock: d.clock,
    logger: d.logger,
    repairIntervalMs: d.config.repairIntervalSeconds * 1000,
    callTimeoutMs: d.callTimeoutMs,
  });
  const people = new ContactsService({
    repo,
    directory,
    sync,
    push,
    ids: d.ids,
    clock: d.clock,
    rules: { maxPendingRequests: d.config.maxPendingRequests },
    exactSearches: new WindowLimit(d.kv, 'contacts:exact-search', d.config.exactSearchesPerHour, 3_600_000),
    presence: (ids) => presenceOf(d.kv, ids),
    graphChanged: (ids) => touchCircles(d.kv, 'graph', ids),
  });
  const groups = new GroupsService({
    groups: groupsRepo,
    contacts: repo,
    directory,
    sync,
    push,
    ids: d.ids,
    clock: d.clock,
    rules: { maxGroupMembers: d.config.maxGroupMembers },
  });
  const tags = new FriendTags({ sql: d.sql, contacts: repo, ids: d.ids, clock: d.clock });
  return {
    value: undefined,
    rpc: [
      serves(contacts.ContactsService, {
        ...contactsRpc(people),
        ...groupsRpc(groups, d.clock, new GroupPictures(groups, d.peers.media.internal)),
        ...friendTagsRpc(tags),
      }),
      serves(contacts.ContactsInternalService, {
        ...contactsInternalRpc(people, new FriendGraph(d.sql, directory), groupsRepo),
        ...resolveFriendTagsRpc(tags),
        ...contactsAdminRpc(new ContactsAdmin({ groups, groupsRepo, people, contacts: repo, directory })),
      }),
    ],
    start: async () => sync.start(),
    stop: () => sync.stop(),
  };
}
