import { reactive } from 'vue';

/**
 * The profile pictures known to this tab, by person or group id: the stores that learn user
 * cards, groups and the signed-in profile write here, and every AppAvatar given an id reads
 * here, so a picture shows wherever an initial did without each screen passing it.
 */
const urls = reactive(new Map<string, string>());

export function learnAvatars(list: Iterable<{ id: string; avatarUrl?: string }>): void {
  for (const x of list) {
    if (!x.id) continue;
    if (x.avatarUrl) urls.set(x.id, x.avatarUrl);
    else urls.delete(x.id);
  }
}

export const avatarUrlOf = (id: string): string => (id && urls.get(id)) || '';
