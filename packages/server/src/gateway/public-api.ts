import type { DescService } from '@bufbuild/protobuf';
import { auth, contacts, media, message } from '@mychat/protocol';

/** A service the gateway exposes to clients, and which of its methods need no access token. */
export interface PublicService {
  service: DescService;
  anonymous: ReadonlySet<string>;
}

/** Everything clients may call over Connect. Internal-only services never appear here. */
export const PUBLIC_SERVICES: readonly PublicService[] = [
  {
    service: auth.AuthService,
    anonymous: new Set(['SendVerificationCode', 'Register', 'Login', 'RefreshSession', 'ResetPassword']),
  },
  { service: contacts.ContactsService, anonymous: new Set() },
  { service: message.MessageService, anonymous: new Set() },
  { service: media.MediaService, anonymous: new Set() },
];
