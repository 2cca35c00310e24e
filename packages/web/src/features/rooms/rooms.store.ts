import {
  PlaybackController,
  type ControlAction,
  type PlaybackState,
  type Room,
  type RoomTrack,
} from '@mychat/sdk';
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import { sdkClient } from '../../sdk/current-client.js';
import { useSessionStore } from '../auth/session.store.js';
import { audioPlayer } from './audio-player.js';

/**
 * The open listen-together room: its state from the server and the pushes, the commands (each
 * with the last version seen), and the <audio> element kept on the room's clock by the SDK's
 * playback controller. Also what the "now playing" bar shows while browsing other chats.
 */
export const useRoomsStore = defineStore('rooms', () => {
  const client = sdkClient();
  const room = ref<Room>();
  /** The last command was refused because someone changed the room first. */
  const overtaken = ref(false);
  const audio = shallowRef<HTMLAudioElement>();
  let ctl: PlaybackController | undefined;
  let src = '';

  const current = computed(() => room.value?.queue.find((t) => t.entryId === room.value?.state.entryId));
  const joined = computed(() => {
    const me = useSessionStore().me?.id;
    return !!room.value && !!me && room.value.members.some((m) => m.userId === me);
  });

  /** Points the element at the current track (a new URL only when the track changed). */
  function follow(state: PlaybackState, track?: RoomTrack) {
    const t = track ?? room.value?.queue.find((q) => q.entryId === state.entryId);
    const a = audio.value;
    if (a && t?.url && t.entryId !== src) {
      src = t.entryId;
      a.src = t.url;
    }
    if (a && !state.entryId) {
      src = '';
      a.removeAttribute('src');
    }
    ctl?.apply(state);
  }

  client.rooms.on('state', (id, state, track) => {
    if (!room.value || room.value.id !== id) return;
    room.value = {
      ...room.value,
      state,
      queue: room.value.queue.map((q) => (track && q.entryId === track.entryId ? track : q)),
    };
    follow(state, track);
  });
  client.rooms.on('update', (r) => {
    if (room.value?.id !== r.id) return;
    room.value = r;
    follow(r.state);
  });

  async function open(id: string): Promise<void> {
    if (room.value?.id !== id) room.value = undefined;
    room.value = await client.rooms.get(id);
    if (joined.value) await start();
  }

  async function join(): Promise<void> {
    if (!room.value) return;
    await client.rooms.clock.start();
    room.value = await client.rooms.join(room.value.id);
    await start();
  }

  async function leave(): Promise<void> {
    if (!room.value) return;
    await client.rooms.leave(room.value.id);
    stop();
    room.value = await client.rooms.get(room.value.id);
  }

  async function create(conversationId: string, title = ''): Promise<string> {
    await client.rooms.clock.start();
    const { room: r } = await client.rooms.create(conversationId, { title });
    room.value = r;
    return r.id;
  }

  /** The page's <audio> element: playback follows the room from now on. */
  function attach(el: HTMLAudioElement | undefined) {
    audio.value = el;
    if (el && joined.value) void start();
  }

  async function start() {
    const el = audio.value;
    if (!el || !room.value) return;
    ctl?.stop();
    void client.rooms.clock.start();
    ctl = new PlaybackController(audioPlayer(el), client.rooms.clock);
    // For diagnostics and the browser test: how far this page is from the room, by the server clock.
    (el as HTMLAudioElement & { roomDriftMs?: () => number }).roomDriftMs = () => ctl?.driftNow() ?? 0;
    ctl.start();
    src = '';
    follow(room.value.state);
  }

  function stop() {
    ctl?.stop();
    ctl = undefined;
  }

  async function answered(p: Promise<{ applied: boolean; room: Room }>) {
    const r = await p;
    overtaken.value = !r.applied;
    room.value = r.room;
    follow(r.room.state);
  }

  const id = () => room.value!.id;
  const control = (action: ControlAction, positionMs?: number) =>
    answered(client.rooms.control(id(), action, { positionMs }));
  const playEntry = (entryId: string) => answered(client.rooms.control(id(), 'play', { entryId }));
  const remove = (entryId: string) => answered(client.rooms.removeTrack(id(), entryId));

  /** Moves an entry one place up (-1) or down (+1). */
  function move(entryId: string, by: -1 | 1) {
    const ids = room.value!.queue.map((t) => t.entryId);
    const i = ids.indexOf(entryId);
    const j = i + by;
    if (i < 0 || j < 0 || j >= ids.length) return Promise.resolve();
    [ids[i], ids[j]] = [ids[j]!, ids[i]!];
    return answered(client.rooms.reorder(id(), ids));
  }

  async function addFile(file: File): Promise<void> {
    const m = await client.media.upload(file, { name: file.name, kind: 'file' });
    await answered(client.rooms.addTrack(id(), m.id));
  }

  return {
    room,
    overtaken,
    current,
    joined,
    open,
    join,
    leave,
    create,
    attach,
    stop,
    control,
    playEntry,
    remove,
    move,
    addFile,
  };
});
