import type { Conversation, GroupMember } from '@mychat/sdk';
import { computed, type ComputedRef } from 'vue';
import { useI18n } from 'vue-i18n';
import { relative } from '../../lib/format.js';
import { useSessionStore } from '../auth/session.store.js';
import { useContactsStore } from '../contacts/contacts.store.js';
import { useChatStore } from './chat.store.js';

/** What a chat's header says: its title, and presence, typing or the member count below it. */
export function useChatHeader(
  id: () => string,
  conv: ComputedRef<Conversation | undefined>,
  members: ComputedRef<readonly GroupMember[]>,
) {
  const { t } = useI18n();
  const chat = useChatStore();
  const contacts = useContactsStore();
  const session = useSessionStore();
  const isGroup = computed(() => conv.value?.type === 'group');
  const nameOf = (uid: string) =>
    uid === session.me?.id ? session.me?.nickname || t('common.you') : contacts.nameOf(uid);
  const title = computed(() => (conv.value ? chat.title(conv.value) : ''));
  const presence = computed(() =>
    conv.value?.type === 'direct' ? contacts.presence[conv.value.peerId] : undefined,
  );
  const subtitle = computed(() => {
    const who = chat.typingIn(id());
    if (who.length)
      return t('chat.typing', { name: isGroup.value ? who.map(nameOf).join(', ') : title.value });
    if (conv.value?.type === 'self') return t('fileTransfer.hint');
    if (isGroup.value) return t('chat.members', { n: conv.value?.memberCount ?? members.value.length });
    const p = presence.value;
    if (!p) return '';
    if (p.online) return t('chat.online');
    return p.lastSeenMs ? t('chat.lastSeen', { time: relative(p.lastSeenMs) }) : t('chat.offline');
  });
  const typingNow = computed(() => chat.typingIn(id()).length > 0);
  return { isGroup, nameOf, title, presence, subtitle, typingNow };
}
