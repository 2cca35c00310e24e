import { onMounted, ref, type Ref } from 'vue';

/**
 * A short-lived media URL for an <img> or a background: asked for when the component mounts,
 * and once more (fresh) if the browser could not load it, say because it expired. `get`
 * answers '' when there is nothing to load.
 */
export function useRetryingUrl(get: (fresh: boolean) => Promise<string>): {
  src: Ref<string>;
  failed: () => void;
} {
  const src = ref('');
  let retried = false;
  async function load(fresh: boolean) {
    try {
      src.value = await get(fresh);
    } catch {
      src.value = '';
    }
  }
  onMounted(() => void load(false));
  return {
    src,
    failed() {
      if (retried) return;
      retried = true;
      void load(true);
    },
  };
}
