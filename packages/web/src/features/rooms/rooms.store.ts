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
  client.rooms.on('listening', (id, userId, listening) => {
    if (room.value?.id !== id) return;
    room.value = {
      ...room.value,
      members: room.value.members.map((m) => (m.userId === userId ? { ...m, listening } : m)),
    };
  });

  async function open(id: string): Promise<void> {
    // Back to the room that plays (from the bar): it goes on as it is, no restart.
    const playing = room.value?.id === id && !!ctl;
    if (room.value?.id !== id) room.value = undefined;
    room.value = await client.rooms.get(id);
    if (playing) follow(room.value.state);
    else if (joined.value) await start();
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
    const roomId = room.value.id;
    ctl = new PlaybackController(audioPlayer(el), client.rooms.clock, {
      // What this member's player does: the member list shows it, and the room waits (3 s at
      // most) for a member still loading when a play starts.
      onListening: (state, version) =>
        void client.rooms.setListening(roomId, state, version).catch(() => undefined),
    });
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

  /** Moves an entry to place `to` of the queue (dragged there, or one up or down). */
  function moveTo(entryId: string, to: number) {
    const ids = room.value!.queue.map((t) => t.entryId);
    const i = ids.indexOf(entryId);
    if (i < 0 || to < 0 || to >= ids.length || to === i) return Promise.resolve();
    ids.splice(i, 1);
    ids.splice(to, 0, entryId);
    return answered(client.rooms.reorder(id(), ids));
  }

  /** Moves an entry one place up (-1) or down (+1). */
  function move(entryId: string, by: -1 | 1) {
    return moveTo(entryId, room.value!.queue.findIndex((t) => t.entryId === entryId) + by);
  }

  /** The track ended: the host moves the room on (one command, not one per member). */
  function ended() {
    if (room.value && room.value.hostId === useSessionStore().me?.id)
      void control('next').catch(() => undefined);
  }

  async function addFile(file: File): Promise<void> {
    const m = await client.media.upload(file, { name: file.name, kind: 'file' });
    // Adding waits for the transcode; if the room changed meanwhile, add it to the room as it is
    // now (the transcode is done once, so the second try is quick).
    const r = await client.rooms.addTrack(id(), m.id);
    await answered(Promise.resolve(r.applied ? r : client.rooms.addTrack(id(), m.id)));
  }

  return {
    room,
    audio,
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
    moveTo,
    ended,
    addFile,
  };
});
