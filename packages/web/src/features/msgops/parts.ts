import { defineAsyncComponent } from 'vue';

/** What the chat view takes from this feature: the store, and its parts loaded with their first use. */
export { useMsgOpsStore } from './msgops.store.js';
export const PinnedBar = defineAsyncComponent(() => import('./PinnedBar.vue'));
export const MsgOpsLayer = defineAsyncComponent(() => import('./MsgOpsLayer.vue'));
