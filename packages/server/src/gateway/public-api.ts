import type { DescService } from '@bufbuild/protobuf';
import { admin, auth, contacts, media, message, moments, push, search } from '@mychat/protocol';

/**
 * A service the gateway exposes to clients, the peer (in the module map) that serves it, and
 * which of its methods need no access token.
 */
export interface PublicService {
  service: DescService;
  peer: 'auth' | 'contacts' | 'message' | 'media' | 'moments' | 'push' | 'search' | 'admin';
  /** The peer's API that serves it (default `public`). */
  api?: 'safety';
  /** Served only when the operator's console is on (`admin.enabled`). */
  console?: true;
  anonymous: ReadonlySet<string>;
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
  { service: media.MediaService, peer: 'media', anonymous: new Set() },
  { service: moments.MomentsService, peer: 'moments', anonymous: new Set() },
  { service: push.PushService, peer: 'push', anonymous: new Set() },
  { service: search.SearchService, peer: 'search', anonymous: new Set() },
  { service: admin.AdminService, peer: 'admin', anonymous: new Set(), console: true },
  { service: admin.SafetyService, peer: 'admin', api: 'safety', anonymous: new Set() },
];
