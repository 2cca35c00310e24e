import { ref } from 'vue';

const query = typeof matchMedia === 'function' ? matchMedia('(max-width: 720px)') : undefined;
/** True on a phone-width screen (the layout's breakpoint), kept up to date as the window resizes. */
export const narrow = ref(query?.matches ?? false);
query?.addEventListener('change', (e) => (narrow.value = e.matches));
