import type { FriendTag } from '@mychat/sdk';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { sdkClient } from '../../sdk/current-client.js';

/** The user's friend tags (标签), for choosing who sees a moment: wraps client.contacts' tags. */
export const useTagsStore = defineStore('friend-tags', () => {
  const client = sdkClient();
  const tags = ref<FriendTag[]>([]);
  const byName = (list: FriendTag[]) => [...list].sort((a, b) => a.name.localeCompare(b.name));

  async function load(): Promise<FriendTag[]> {
    tags.value = byName(await client.contacts.tags());
    return tags.value;
  }
  async function create(name: string, memberIds: string[]): Promise<FriendTag> {
    const tag = await client.contacts.createTag(name, memberIds);
    tags.value = byName([...tags.value, tag]);
    return tag;
  }
  async function remove(tagId: string): Promise<void> {
    await client.contacts.deleteTag(tagId);
    tags.value = tags.value.filter((t) => t.id !== tagId);
  }
  return { tags, load, create, remove };
});
