import { timestampMs } from '@bufbuild/protobuf/wkt';
import { message as pb } from '@mychat/protocol';
import type { Registry } from 'prom-client';
import type { Bus } from '../../adapters/bus/bus.js';
import type { Kv } from '../../adapters/kv/kv.js';
import type { SqlDatabase } from '../../adapters/sql/sql.js';
import type { Clock } from '../../kernel/clock.js';
import { HotCounter } from '../../kernel/hot-counter.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Logger } from '../../kernel/logger.js';
import { serves, type ServiceInstance } from '../../rpc/rpc-impl.js';
import type { Peers } from '../../wiring/peers.js';
import type { messageConfigSchema } from './message.config.js';
import { ConversationAdmin } from './message.membership.js';
import { messageMigrations } from './message.migrations.js';
import { messageInternalRpc, messageRpc } from './message.rpc.js';
import { MessageAttachments } from './message.attachments.js';
import { MessageConversations } from './message.conversations.js';
import { MessageCursors } from './message.cursors.js';
import type { MessageServiceDeps } from './message.deps.js';
import { MessageRecall } from './message.recall.js';
import { MessageSender } from './message.send.js';
import { MessageWriter } from './message.writer.js';
import { createMessageStore } from './store/create-message-store.js';
import { pushContextRpc } from './message.push-context.js';
import { indexFeedRpc } from './message.index-feed.js';
import { moderationRpc } from './message.moderation.js';

export interface MessageModuleDeps {
  sql: SqlDatabase;
  kv: Kv;
  bus: Bus;
  /** Media: checks and records the files a message carries, and signs their download URLs. */
  peers: Peers<'media'>;
  metrics: Registry;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
  config: ReturnType<(typeof messageConfigSchema)['parse']>;
}

/** Builds the message service and migrates its tables; returns both APIs for the wiring to serve. */
export async function initMessage(d: MessageModuleDeps): Promise<ServiceInstance<void>> {
  await d.sql.migrate('msg', messageMigrations);
  const sent = new HotCounter({
    name: 'mychat_messages_sent_total',
    help: 'Messages stored (acknowledged to their senders)',
    registers: [d.metrics],
  });
  const pushed = new HotCounter({
    name: 'mychat_message_pushes_total',
    help: 'Per-recipient push hints published for new messages',
    registers: [d.metrics],
  });
  const store = createMessageStore(d.sql);
  const mediaClient = d.peers.media.internal;
  const deps: MessageServiceDeps = {
    store,
    writer: new MessageWriter(store),
    bus: d.bus,
    kv: d.kv,
    ids: d.ids,
    clock: d.clock,
    logger: d.logger,
    rules: d.config,
    attachMedia: async ({ via, ...req }) =>
      (
        await mediaClient.attachMedia({
          ...req,
          ...(via && {
            viaConversationId: via.conversationId,
            viaSenderId: via.senderId,
            viaClientMsgId: via.clientMsgId,
          }),
        })
      ).media,
    onSent: (_m, recipients) => {
      sent.inc();
      pushed.inc(recipients);
    },
  };
  const parts = {
    sender: new MessageSender(deps),
    recall: new MessageRecall(deps),
    cursors: new MessageCursors(deps),
    conversations: new MessageConversations(deps),
  };
  const attachments = new MessageAttachments({
    store,
    saveToDrive: async (req) => (await mediaClient.saveToDrive(req)).entry,
    signUrl: async (req) => {
      const r = await mediaClient.signUrl(req);
      return { url: r.url, expiresAtMs: r.expiresAt ? timestampMs(r.expiresAt) : 0 };
    },
  });
  const admin = new ConversationAdmin({ store, bus: d.bus, ids: d.ids, clock: d.clock });
  return {
    value: undefined,
    rpc: [
      serves(pb.MessageService, messageRpc(parts, admin, attachments, d.config.maxTextBytes)),
      serves(pb.MessageInternalService, {
        ...messageInternalRpc(admin, parts, attachments, d.config.maxTextBytes, d.logger),
        ...pushContextRpc(store.db),
        ...indexFeedRpc(d.sql),
        ...moderationRpc(store, parts.recall),
      }),
    ],
  };
}
