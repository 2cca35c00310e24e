import { onBeforeUnmount, onMounted, type Ref } from 'vue';

/**
 * A full-screen dialog (the image editor, the video trimmer) takes the focus when it opens and
 * gives it back to what opened it when it closes; Escape calls `onEscape` wherever the focus is
 * (a click on a canvas or a video moves it to the page).
 */
export function useDialogFocus(root: Ref<HTMLElement | undefined>, onEscape: () => void): void {
  let opener: HTMLElement | null = null;
  function onKey(e: KeyboardEvent) {
    if (e.key !== 'Escape' || e.defaultPrevented) return;
    e.preventDefault();
    e.stopPropagation();
    onEscape();
  }
  onMounted(() => {
    opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    root.value?.focus();
    document.addEventListener('keydown', onKey, true);
  });
  onBeforeUnmount(() => {
    document.removeEventListener('keydown', onKey, true);
    if (opener?.isConnected) opener.focus();
  });
}
