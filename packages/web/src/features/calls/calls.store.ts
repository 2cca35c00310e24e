import { CallSession, type Call, type CallMedia, type Quality } from '@mychat/sdk';
import { defineStore } from 'pinia';
import { ref, shallowRef, triggerRef } from 'vue';
import { errorText } from '../../lib/errors.js';
import { sdkClient } from '../../sdk/current-client.js';

/** Why the call screen shows a problem instead of the camera. */
export type CallProblem = '' | 'permission' | 'nodevice' | 'media' | 'failed';

/** Debug and tests: send media only through TURN (localStorage `mychat.calls.relayOnly` = "1"). */
const relayOnly = () => localStorage.getItem('mychat.calls.relayOnly') === '1';

function problemOf(err: unknown): CallProblem {
  const name = (err as { name?: string }).name;
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'permission';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'nodevice';
  return 'media';
}

/**
 * Calls on this device: the incoming call that rings, the call this device is in (its media
 * session, the remote streams, the controls' state), and the reason when the camera or the
 * microphone cannot be used. Loaded with the call layer, after sign-in.
 */
export const useCallsStore = defineStore('calls', () => {
  const client = sdkClient();
  const incoming = ref<Call>();
  const call = ref<Call>();
  const local = shallowRef<MediaStream>();
  const remotes = shallowRef(new Map<string, MediaStream>());
  const quality = ref<Record<string, Quality>>({});
  const muted = ref(false);
  const cameraOn = ref(true);
  const sharing = ref(false);
  const problem = ref<CallProblem>('');
  /** With problem 'failed': the server's reason, in words. */
  const failure = ref('');
  const last = ref<Call>();
  let session: CallSession | undefined;

  client.calls.on('incoming', (c) => {
    if (!call.value) incoming.value = c;
  });
  client.calls.on('answeredElsewhere', (c) => {
    if (incoming.value?.id === c.id) incoming.value = undefined;
  });
  client.calls.on('event', (e) => {
    if (incoming.value?.id === e.call.id && (e.kind === 'ended' || e.kind === 'missed'))
      incoming.value = undefined;
    if (call.value?.id === e.call.id) call.value = e.call;
  });

  async function media(kind: CallMedia): Promise<MediaStream> {
    problem.value = '';
    try {
      return await navigator.mediaDevices.getUserMedia({ audio: true, video: kind === 'video' });
    } catch (err) {
      problem.value = problemOf(err);
      throw err;
    }
  }

  async function join(c: Call, stream: MediaStream): Promise<void> {
    call.value = c;
    local.value = stream;
    muted.value = false;
    cameraOn.value = c.media === 'video';
    const s = new CallSession({
      calls: client.calls,
      call: c,
      localStream: stream,
      ...(relayOnly() && { iceTransportPolicy: 'relay' as const }),
    });
    session = s;
    s.on('remoteStream', (userId, st) => {
      remotes.value.set(userId, st);
      triggerRef(remotes);
    });
    s.on('remoteGone', (userId) => {
      remotes.value.delete(userId);
      triggerRef(remotes);
    });
    s.on('call', (x) => (call.value = x));
    s.on('quality', (userId, q) => (quality.value = { ...quality.value, [userId]: q }));
    s.on('ended', (x) => finish(x));
    await s.start();
  }

  function finish(c: Call): void {
    last.value = c;
    for (const t of local.value?.getTracks() ?? []) t.stop();
    local.value = undefined;
    remotes.value = new Map();
    quality.value = {};
    call.value = undefined;
    sharing.value = false;
    session = undefined;
  }

  /** Calls the other members of a conversation. */
  async function start(conversationId: string, kind: CallMedia): Promise<void> {
    const stream = await media(kind);
    try {
      const r = await client.calls.start(conversationId, kind);
      await join(r.call, stream);
    } catch (err) {
      for (const t of stream.getTracks()) t.stop();
      if (!problem.value) {
        problem.value = 'failed';
        failure.value = errorText(err);
      }
      throw err;
    }
  }

  async function accept(): Promise<void> {
    const c = incoming.value;
    if (!c) return;
    incoming.value = undefined;
    let stream: MediaStream;
    try {
      stream = await media(c.media);
    } catch (err) {
      await client.calls.decline(c.id).catch(() => undefined);
      throw err;
    }
    await join(await client.calls.accept(c.id), stream);
  }

  async function decline(): Promise<void> {
    const c = incoming.value;
    incoming.value = undefined;
    if (c) await client.calls.decline(c.id).catch(() => undefined);
  }

  async function hangUp(): Promise<void> {
    await session?.hangUp();
  }

  function toggleMute(): void {
    muted.value = !muted.value;
    session?.setMuted(muted.value);
  }

  function toggleCamera(): void {
    cameraOn.value = !cameraOn.value;
    session?.setCameraOn(cameraOn.value);
  }

  /** Another camera or microphone, by device id. */
  async function useDevice(kind: 'audioinput' | 'videoinput', deviceId: string): Promise<void> {
    const s = await navigator.mediaDevices.getUserMedia(
      kind === 'audioinput'
        ? { audio: { deviceId: { exact: deviceId } } }
        : { video: { deviceId: { exact: deviceId } } },
    );
    const track = s.getTracks()[0];
    if (track) await session?.replaceTrack(track);
    triggerRef(local);
  }

  /** Sends the screen instead of the camera (desktop browsers), until sharing stops. */
  async function shareScreen(): Promise<void> {
    const s = await navigator.mediaDevices.getDisplayMedia({ video: true });
    const track = s.getVideoTracks()[0];
    if (!track || !session) return;
    await session.replaceTrack(track);
    sharing.value = true;
    track.addEventListener('ended', () => (sharing.value = false));
    triggerRef(local);
  }

  const dismissProblem = () => (problem.value = '');

  return {
    incoming,
    call,
    local,
    remotes,
    quality,
    muted,
    cameraOn,
    sharing,
    problem,
    failure,
    last,
    start,
    accept,
    decline,
    hangUp,
    toggleMute,
    toggleCamera,
    useDevice,
    shareScreen,
    dismissProblem,
  };
});
