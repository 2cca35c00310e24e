import type { DescService } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import {
  admin,
  auth,
  calls,
  contacts,
  favorites,
  keys,
  media,
  message,
  moments,
  push,
  rooms,
  search,
  square,
  stickerFiles,
  stickerPacks,
  stickers,
} from '@mychat/protocol';
import type { RpcHub } from '../rpc/rpc-hub.js';

/**
 * The RPC APIs of each service, by the name the module map uses. A module that declares a
 * service among its `peers` receives one typed client per API here, and nothing else.
 */
export const SERVICE_APIS = {
  auth: { public: auth.AuthService, directory: auth.UserDirectoryService },
  contacts: { public: contacts.ContactsService, internal: contacts.ContactsInternalService },
  message: {
    public: message.MessageService,
    internal: message.MessageInternalService,
    favorites: favorites.FavoritesService,
    stickers: stickers.StickersService,
    stickerPacks: stickerPacks.StickerPacksInternalService,
  },
  media: {
    public: media.MediaService,
    internal: media.MediaInternalService,
    stickerFiles: stickerFiles.StickerFilesService,
  },
  moments: { public: moments.MomentsService, internal: moments.MomentsInternalService },
  push: { public: push.PushService, internal: push.PushInternalService },
  search: { public: search.SearchService },
  rooms: { public: rooms.RoomsService, internal: rooms.RoomsInternalService },
  calls: { public: calls.CallsService, internal: calls.CallsInternalService },
  square: { public: square.SquareService, internal: square.SquareInternalService },
  admin: { public: admin.AdminService, safety: admin.SafetyService, internal: admin.AdminInternalService },
  keys: { public: keys.KeysService, internal: keys.KeysInternalService },
} as const;

export type ServiceName = keyof typeof SERVICE_APIS;

type Apis<N extends ServiceName> = (typeof SERVICE_APIS)[N];

/** The clients of one peer service, e.g. `{ public, internal }` for message. */
export type PeerClient<N extends ServiceName> = {
  readonly [A in keyof Apis<N>]: Apis<N>[A] extends DescService ? Client<Apis<N>[A]> : never;
};

/** The clients a module may use: exactly the services it declares as peers. */
export type Peers<P extends ServiceName> = { readonly [N in P]: PeerClient<N> };

export const isServiceName = (name: string): name is ServiceName => Object.hasOwn(SERVICE_APIS, name);

/**
 * Typed clients for `names`, built from the hub: each reaches its service in this process as
 * a function call when it runs here, and over gRPC to the configured peer otherwise.
 */
export function peerClients<P extends ServiceName>(hub: RpcHub, names: readonly P[]): Peers<P> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const name of names) {
    const apis: Record<string, unknown> = {};
    for (const [api, service] of Object.entries(SERVICE_APIS[name])) apis[api] = hub.client(service);
    out[name] = apis;
  }
  return out as unknown as Peers<P>;
}
