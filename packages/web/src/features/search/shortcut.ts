import { onBeforeUnmount, onMounted } from 'vue';
import { useSearchStore } from './search.store.js';

/** Ctrl-K (Cmd-K on a Mac) opens the global search panel from anywhere in the signed-in app. */
export function useSearchShortcut(): void {
  const store = useSearchStore();
  const onKey = (e: KeyboardEvent) => {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'k') {
      e.preventDefault();
      store.openPanel();
    }
  };
  onMounted(() => window.addEventListener('keydown', onKey));
  onBeforeUnmount(() => window.removeEventListener('keydown', onKey));
}
