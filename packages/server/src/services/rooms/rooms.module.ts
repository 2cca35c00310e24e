import { rooms as pb } from '@mychat/protocol';
import type { Bus } from '../../adapters/bus/bus.js';
import type { SqlDatabase } from '../../adapters/sql/sql.js';
import { purgeUserRpc } from '../../adapters/sql/user-rows.js';
import type { Clock } from '../../kernel/clock.js';
import type { IdGenerator } from '../../kernel/ids.js';
import type { Logger } from '../../kernel/logger.js';
import { serves, type ServiceInstance } from '../../rpc/rpc-impl.js';
import type { Peers } from '../../wiring/peers.js';
import { RoomAccess } from './rooms.access.js';
import { RoomCommands } from './rooms.commands.js';
import type { RoomsConfig } from './rooms.config.js';
import { RoomListening } from './rooms.listening.js';
import { roomsMigrations } from './rooms.migrations.js';
import { RoomChats, RoomFiles, RoomPush } from './rooms.peers.js';
import { RoomsStore } from './rooms.repository.js';
import { roomsRpc } from './rooms.rpc.js';
import { RoomLifecycle } from './rooms.service.js';

export interface RoomsModuleDeps {
  sql: SqlDatabase;
  bus: Bus;
  /** The linked chat and its card (message); tracks' files (media). */
  peers: Peers<'message' | 'media'>;
  ids: IdGenerator;
  clock: Clock;
  logger: Logger;
  config: RoomsConfig;
}

/** Builds the rooms service (listen together), migrates its tables and returns RoomsService. */
export async function initRooms(d: RoomsModuleDeps): Promise<ServiceInstance<void>> {
  await d.sql.migrate('rooms', roomsMigrations);
  const access = new RoomAccess({
    store: RoomsStore.of(d.sql),
    chats: new RoomChats(d.peers.message.internal),
    files: new RoomFiles(d.peers.media.internal, d.logger),
    push: new RoomPush(d.bus, d.logger),
    clock: d.clock,
    logger: d.logger,
    config: d.config,
    ids: d.ids,
  });
  const life = new RoomLifecycle(access);
  const cmds = new RoomCommands(access);
  const listening = new RoomListening(access);
  const store = RoomsStore.of(d.sql);
  // A deleted account leaves its open rooms as a member leaving would (the host role passes
  // on, the last one out pauses), then its seats in closed rooms go.
  const leaveAll = async (userId: string) => {
    for (const r of await store.roomsOf(userId, 10_000)) await life.leave({ userId, requestId: '' }, r.id);
  };
  return {
    value: undefined,
    rpc: [
      serves(pb.RoomsService, roomsRpc({ life, cmds, listening })),
      serves(pb.RoomsInternalService, purgeUserRpc(d.sql, ['rooms_members'], leaveAll)),
    ],
  };
}
