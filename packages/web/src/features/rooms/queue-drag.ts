import { ref } from 'vue';

/**
 * Drag-to-reorder of the queue with pointer events (mouse, touch and pen alike): press a row's
 * handle, move over another row, let go there. `onDrop(entryId, index)` gets the new place.
 * Rows carry `data-entry`; the keyboard way is the rows' move-up / move-down buttons.
 */
export function useQueueDrag(onDrop: (entryId: string, to: number) => unknown) {
  const dragging = ref<string>();
  const over = ref(-1);

  function rowAt(x: number, y: number): number {
    const row = document.elementsFromPoint(x, y).find((el) => el instanceof HTMLElement && el.dataset.entry);
    if (!row?.parentElement) return -1;
    return [...row.parentElement.children].indexOf(row);
  }

  function start(e: PointerEvent, entryId: string) {
    if (e.button !== 0) return;
    e.preventDefault();
    (e.currentTarget as HTMLElement).setPointerCapture?.(e.pointerId);
    dragging.value = entryId;
    over.value = rowAt(e.clientX, e.clientY);
  }

  function move(e: PointerEvent) {
    if (dragging.value) over.value = rowAt(e.clientX, e.clientY);
  }

  function end(e: PointerEvent) {
    const id = dragging.value;
    const to = id ? rowAt(e.clientX, e.clientY) : -1;
    cancel();
    if (id && to >= 0) onDrop(id, to);
  }

  function cancel() {
    dragging.value = undefined;
    over.value = -1;
  }

  return { dragging, over, start, move, end, cancel };
}
