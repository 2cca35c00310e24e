/**
 * MyChat's contracts, generated from proto/ by protoc-gen-es. The files under
 * gen/ are never edited by hand: change the .proto and run `npm run generate`.
 */
export * as common from './gen/mychat/common/v1/errors_pb.js';
export * as auth from './gen/mychat/auth/v1/auth_pb.js';
export * as contacts from './gen/mychat/contacts/v1/contacts_pb.js';
export * as message from './gen/mychat/message/v1/message_pb.js';
export * as gateway from './gen/mychat/gateway/v1/gateway_pb.js';
export * as media from './gen/mychat/media/v1/media_pb.js';
export * as stickerFiles from './gen/mychat/media/v1/sticker_files_pb.js';
export * as moments from './gen/mychat/moments/v1/moments_pb.js';
export * as rooms from './gen/mychat/rooms/v1/rooms_pb.js';
export * as square from './gen/mychat/square/v1/square_pb.js';
export * as push from './gen/mychat/push/v1/push_pb.js';
export * as search from './gen/mychat/search/v1/search_pb.js';
export * as favorites from './gen/mychat/message/v1/favorites_pb.js';
export * as stickers from './gen/mychat/message/v1/stickers_pb.js';
export * as stickerPacks from './gen/mychat/message/v1/sticker_packs_pb.js';
export * as calls from './gen/mychat/calls/v1/calls_pb.js';
export * as admin from './gen/mychat/admin/v1/admin_pb.js';
export * as keys from './gen/mychat/keys/v1/keys_pb.js';
