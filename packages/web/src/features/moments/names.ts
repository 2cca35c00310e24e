import { useI18n } from 'vue-i18n';
import { useSessionStore } from '../auth/session.store.js';
import { useContactsStore } from '../contacts/contacts.store.js';
import { useMomentsStore } from './moments.store.js';

/**
 * The name to show for a person in moments: as the page named them (the remark, else the
 * nickname), else as the contact list knows them, else "Someone".
 */
export function useNameOf(): (userId: string) => string {
  const { t } = useI18n();
  const moments = useMomentsStore();
  const contacts = useContactsStore();
  const session = useSessionStore();
  return (id) =>
    moments.nameOf(id) ||
    contacts.nameOf(id) ||
    (id === session.me?.id ? session.me.nickname : '') ||
    t('common.unknownUser');
}
