import type { ChatMessage, Favorite, MessageContent } from '@mychat/sdk';
import { defineStore } from 'pinia';
import { sdkClient } from '../../sdk/current-client.js';

/**
 * Pictures and favourites (收藏): wraps client.media (a cropped picture's upload) and
 * client.favorites, so the views only call and show.
 */
export const useSocialStore = defineStore('social', () => {
  const client = sdkClient();

  /** Uploads a cropped square picture; its media id. */
  async function uploadPicture(square: Blob): Promise<string> {
    return (await client.media.upload(square, { name: 'picture.jpg', kind: 'image' })).id;
  }

  const favorite = (m: ChatMessage) => client.favorites.add(m.conversationId, m.seq);
  const favorites = (q: { kind: string; tag: string; query: string; cursor: string }) =>
    client.favorites.list(q);
  const setTags = (id: string, tags: string[]) => client.favorites.setTags(id, tags);
  const removeFavorite = (id: string) => client.favorites.delete(id);
  const favoriteMediaUrl = (f: Favorite, mediaId: string, variant: 'thumbnail' | 'poster') =>
    client.favorites.mediaUrl(f.id, mediaId, { variant });
  const sendCopy = (conversationId: string, content: MessageContent) =>
    client.messages.sendCopy(conversationId, content);

  /** Calls `fn` when another device changed the favourites; returns the unsubscribe. */
  function onFavoritesChanged(fn: () => void): () => void {
    client.favorites.on('changed', fn);
    return () => client.favorites.off('changed', fn);
  }

  return {
    uploadPicture,
    favorite,
    favorites,
    setTags,
    removeFavorite,
    favoriteMediaUrl,
    sendCopy,
    onFavoritesChanged,
  };
});
