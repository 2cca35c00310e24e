import { timestampMs } from '@bufbuild/protobuf/wkt';
import {
  favorites as favPb,
  message as pb,
  stickerPacks as packsPb,
  stickers as stkPb,
} from '@mychat/protocol';
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
import { purgeRpc } from './message.purge.js';
import { messageInternalRpc, messageRpc } from './message.rpc.js';
import { roomCardRpc } from './message.room-card.js';
import { MessageAttachments } from './message.attachments.js';
import { MessageConversations } from './message.conversations.js';
import { MessageCursors } from './message.cursors.js';
import type { MessageServiceDeps } from './message.deps.js';
import { MessageRecall } from './message.recall.js';
import { MessageReactions } from './message.reactions.js';
import { MessageEdits } from './message.edit.js';
import { MessagePins } from './message.pins.js';
import { MessageSender } from './message.send.js';
import { MessageWriter } from './message.writer.js';
import { createMessageStore } from './store/create-message-store.js';
import { callsRpc } from './message.calls.js';
import { pushContextRpc } from './message.push-context.js';
import { indexFeedRpc } from './message.index-feed.js';
import { MessageForwarder } from './message.forward.js';
import { MessageRecordState } from './message.record-state.js';
import { recordsRpc } from './message.records.rpc.js';
import { favoritesMigrations } from './favorites/favorites.migrations.js';
import { FavoritesRepository } from './favorites/favorites.repository.js';
import { favoritesRpc } from './favorites/favorites.rpc.js';
import { FavoritesService } from './favorites/favorites.service.js';
import { stickersMigrations } from './stickers/stickers.migrations.js';
import { StickersRepository } from './stickers/stickers.repository.js';
import { stickerPacksInternalRpc, stickersRpc } from './stickers/stickers.rpc.js';
import { StickersService } from './stickers/stickers.service.js';
import { moderationRpc } from './message.moderation.js';
import { linkPreviewGuard, startLinkPreviews } from './link-preview/link-preview.wiring.js';
import type { LinkPreviewConfig } from './link-preview/link-preview.config.js';
import { encryptedChatRpc } from './message.encrypted.rpc.js';

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
  /** Link previews (`linkPreview.*`), run by this module. */
  linkPreview: LinkPreviewConfig;
  /** For linkPreview.caFile. */
  dataDir: string;
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
  const previews = await startLinkPreviews(d, store, linkPreviewGuard(d.linkPreview, d.dataDir));
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
    onSent: (m, recipients) => {
      sent.inc();
      pushed.inc(recipients);
      previews.onStored(m);
    },
    previews,
  };
  const parts = {
    sender: new MessageSender(deps),
    recall: new MessageRecall(deps),
    cursors: new MessageCursors(deps),
    conversations: new MessageConversations(deps),
    reactions: new MessageReactions(deps),
    edits: new MessageEdits(deps),
    pins: new MessagePins(deps),
  };
  const attachments = new MessageAttachments({
    store,
    saveToDrive: async (req) => (await mediaClient.saveToDrive(req)).entry,
    signUrl: async (req) => {
      const r = await mediaClient.signUrl(req);
      return { url: r.url, expiresAtMs: r.expiresAt ? timestampMs(r.expiresAt) : 0 };
    },
  });
  // Favourites (收藏): a part of this module with tables of its own (migrated as `fav`).
  await d.sql.migrate('fav', favoritesMigrations);
  const favorites = new FavoritesService({
    repo: new FavoritesRepository(d.sql),
    store,
    media: mediaClient,
    bus: d.bus,
    ids: d.ids,
    clock: d.clock,
    max: d.config.favoritesMax,
  });
  // Stickers (表情包): the same, migrated as `stk`.
  await d.sql.migrate('stk', stickersMigrations);
  const stickers = new StickersService({
    repo: new StickersRepository(d.sql),
    store,
    media: d.peers.media.stickerFiles,
    bus: d.bus,
    ids: d.ids,
    clock: d.clock,
    max: d.config.stickersMax,
  });
  const admin = new ConversationAdmin({ store, bus: d.bus, ids: d.ids, clock: d.clock });
  return {
    value: undefined,
    rpc: [
      serves(pb.MessageService, {
        ...messageRpc(parts, admin, attachments, d.config.maxTextBytes),
        ...recordsRpc(
          new MessageForwarder(deps, parts.sender),
          new MessageRecordState(deps, parts.conversations),
        ),
        ...encryptedChatRpc(admin, parts.conversations),
      }),
      serves(pb.MessageInternalService, {
        ...messageInternalRpc(admin, parts, attachments, d.config.maxTextBytes, d.logger),
        ...pushContextRpc(store.db),
        ...indexFeedRpc(d.sql),
        ...roomCardRpc(parts.sender),
        ...callsRpc(deps),
        ...moderationRpc(store, parts.recall),
        ...purgeRpc(d.sql, parts.recall),
      }),
      serves(favPb.FavoritesService, favoritesRpc(favorites)),
      serves(stkPb.StickersService, stickersRpc(stickers)),
      serves(packsPb.StickerPacksInternalService, stickerPacksInternalRpc(stickers)),
    ],
  };
}
