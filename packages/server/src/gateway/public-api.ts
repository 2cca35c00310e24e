import type { DescService } from '@bufbuild/protobuf';
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
  stickers,
} from '@mychat/protocol';

/**
 * A service the gateway exposes to clients, the peer (in the module map) that serves it, and
 * which of its methods need no access token.
 */
export interface PublicService {
  service: DescService;
  peer:
    | 'auth'
    | 'contacts'
    | 'message'
    | 'media'
    | 'moments'
    | 'push'
    | 'search'
    | 'rooms'
    | 'calls'
    | 'square'
    | 'admin'
    | 'keys';
  anonymous: ReadonlySet<string>;
  /** Which of the peer's APIs (wiring/peers.ts) this is, when not its `public` one. */
  api?: 'favorites' | 'stickers' | 'safety';
  /** Served only when the operator's console is on (`admin.enabled`). */
  console?: true;
}

/** Everything clients may call over Connect. Internal-only services never appear here. */
export const PUBLIC_SERVICES: readonly PublicService[] = [
  {
    service: auth.AuthService,
    peer: 'auth',
    anonymous: new Set(['SendVerificationCode', 'Register', 'Login', 'RefreshSession', 'ResetPassword']),
  },
  { service: contacts.ContactsService, peer: 'contacts', anonymous: new Set() },
  { service: message.MessageService, peer: 'message', anonymous: new Set() },
  // Favourites are a part of the message module.
  { service: favorites.FavoritesService, peer: 'message', api: 'favorites', anonymous: new Set() },
  // So are stickers.
  { service: stickers.StickersService, peer: 'message', api: 'stickers', anonymous: new Set() },
  { service: media.MediaService, peer: 'media', anonymous: new Set() },
  { service: moments.MomentsService, peer: 'moments', anonymous: new Set() },
  { service: square.SquareService, peer: 'square', anonymous: new Set() },
  { service: push.PushService, peer: 'push', anonymous: new Set() },
  { service: search.SearchService, peer: 'search', anonymous: new Set() },
  { service: rooms.RoomsService, peer: 'rooms', anonymous: new Set() },
  { service: calls.CallsService, peer: 'calls', anonymous: new Set() },
  { service: admin.AdminService, peer: 'admin', anonymous: new Set(), console: true },
  { service: admin.SafetyService, peer: 'admin', api: 'safety', anonymous: new Set() },
  { service: keys.KeysService, peer: 'keys', anonymous: new Set() },
];
