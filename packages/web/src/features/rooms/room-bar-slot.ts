import { shallowRef, type Component } from 'vue';

/**
 * The "now playing" bar and the room's <audio>, set by the rooms feature when a room page first
 * opens: the shell renders it from then on (so music goes on while browsing other chats) without
 * loading any of the rooms code before.
 */
export const roomBar = shallowRef<Component>();
