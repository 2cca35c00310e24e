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
  /** The chosen devices ('' = the browser's default). */
  const micId = ref('');
  const camId = ref('');
  const speakerId = ref('');
  /** A call this user is still in after a reload (or a drop): offered to rejoin. */
  const rejoinable = ref<Call>();
  const problem = ref<CallProblem>('');
  /** With problem 'failed': the server's reason, in words. */
  const failure = ref('');
  const last = ref<Call>();
  let session: CallSession | undefined;
  /** The camera, put aside (still running) while the screen is shared in its place. */
  let camera: MediaStreamTrack | undefined;

  client.calls.on('incoming', (c) => {
    if (!call.value) incoming.value = c;
  });
  client.calls.on('answeredElsewhere', (c) => {
    if (incoming.value?.id === c.id) incoming.value = undefined;
  });
  client.calls.on('event', (e) => {
    if (incoming.value?.id === e.call.id && (e.kind === 'ended' || e.kind === 'missed'))
      incoming.value = undefined;
    if (rejoinable.value?.id === e.call.id && e.kind === 'ended') rejoinable.value = undefined;
    if (call.value?.id === e.call.id) call.value = e.call;
  });
  // After a reload: the call ringing here, or the one this user is in (to rejoin within the window).
  void Promise.all([client.calls.active(), client.auth.session()])
    .then(([c, me]) => {
      const mine = c?.participants.find((p) => p.userId === me?.userId);
      if (!c || !mine || call.value) return;
      if (mine.state === 'ringing') incoming.value ??= c;
      else if (mine.state === 'joined' || mine.state === 'dropped') rejoinable.value = c;
    })
    .catch(() => undefined);

  /** The camera and/or microphone, or the reason they cannot be used (shown by the call layer). */
  async function media(constraints: MediaStreamConstraints): Promise<MediaStream> {
    problem.value = '';
    try {
      return await navigator.mediaDevices.getUserMedia(constraints);
    } catch (err) {
      problem.value = problemOf(err);
      throw err;
    }
  }
  const callMedia = (kind: CallMedia) => media({ audio: true, video: kind === 'video' });

  async function join(c: Call, stream: MediaStream): Promise<void> {
    call.value = c;
    local.value = stream;
    muted.value = false;
    cameraOn.value = c.media === 'video';
    micId.value = stream.getAudioTracks()[0]?.getSettings().deviceId ?? '';
    camId.value = stream.getVideoTracks()[0]?.getSettings().deviceId ?? '';
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
    camera?.stop();
    camera = undefined;
    local.value = undefined;
    remotes.value = new Map();
    quality.value = {};
    call.value = undefined;
    sharing.value = false;
    session = undefined;
  }

  /** Calls the other members of a conversation. */
  async function start(conversationId: string, kind: CallMedia): Promise<void> {
    const stream = await callMedia(kind);
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
      stream = await callMedia(c.media);
    } catch (err) {
      await client.calls.decline(c.id).catch(() => undefined);
      throw err;
    }
    await join(await client.calls.accept(c.id), stream);
  }

  /** Back into the call after a reload or a drop (the others' devices answer this one's offers). */
  async function rejoin(): Promise<void> {
    const c = rejoinable.value;
    if (!c) return;
    rejoinable.value = undefined;
    const stream = await callMedia(c.media);
    try {
      await join(await client.calls.rejoin(c.id), stream);
    } catch (err) {
      for (const t of stream.getTracks()) t.stop();
      problem.value = 'failed';
      failure.value = errorText(err);
      throw err;
    }
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
    if (camera)
      camera.enabled = cameraOn.value; // sharing: the screen stays on
    else session?.setCameraOn(cameraOn.value);
  }

  /** Another camera or microphone, by device id; it keeps the muted / camera-off state. */
  async function useDevice(kind: 'audioinput' | 'videoinput', deviceId: string): Promise<void> {
    const exact = { deviceId: { exact: deviceId } };
    const s = await media(kind === 'audioinput' ? { audio: exact } : { video: exact });
    const track = s.getTracks()[0];
    if (!track || !session) return void track?.stop();
    if (kind === 'audioinput') {
      track.enabled = !muted.value;
      micId.value = deviceId;
    } else {
      track.enabled = cameraOn.value;
      camId.value = deviceId;
      if (camera) {
        // Sharing the screen: the new camera waits aside, as the old one did.
        camera.stop();
        camera = track;
        return;
      }
    }
    await session.replaceTrack(track);
    triggerRef(local);
  }

  /** Where the others are heard (HTMLMediaElement.setSinkId; the call screen hides it elsewhere). */
  const useSpeaker = (deviceId: string) => (speakerId.value = deviceId);

  /** Sends the screen instead of the camera (desktop browsers); pressed again, the camera is back. */
  async function toggleShare(): Promise<void> {
    if (sharing.value) return stopSharing();
    const s = await navigator.mediaDevices.getDisplayMedia({ video: true });
    const track = s.getVideoTracks()[0];
    if (!track || !session) return void track?.stop();
    camera = await session.replaceTrack(track, { keepOld: true });
    sharing.value = true;
    // The browser's own "Stop sharing" ends the track.
    track.addEventListener('ended', () => void stopSharing());
    triggerRef(local);
  }

  async function stopSharing(): Promise<void> {
    if (!sharing.value) return;
    sharing.value = false;
    const cam = camera;
    camera = undefined;
    if (cam && session) await session.replaceTrack(cam);
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
    micId,
    camId,
    speakerId,
    rejoinable,
    problem,
    failure,
    last,
    start,
    accept,
    rejoin,
    decline,
    hangUp,
    toggleMute,
    toggleCamera,
    useDevice,
    useSpeaker,
    toggleShare,
    dismissProblem,
  };
});
