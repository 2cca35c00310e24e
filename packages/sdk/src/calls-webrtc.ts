import type { CallsApi } from './calls-api.js';
import type { Call, CallEvent, CallSignal } from './calls-types.js';
import { Emitter } from './events.js';

export type Quality = 'good' | 'fair' | 'poor';

/**
 * The connection quality shown to the user, from the selected candidate pair's round trip
 * (seconds) and the share of inbound packets lost: poor over 400 ms or 10 %, fair over 150 ms
 * or 3 %, else good.
 */
export function qualityOf(rttS: number, lossRatio: number): Quality {
  if (rttS > 0.4 || lossRatio > 0.1) return 'poor';
  if (rttS > 0.15 || lossRatio > 0.03) return 'fair';
  return 'good';
}

export interface CallSessionEvents extends Record<string, unknown[]> {
  /** A participant's media arrived (or changed). */
  remoteStream: [userId: string, stream: MediaStream];
  /** A participant's connection closed (they left or dropped). */
  remoteGone: [userId: string];
  /** The call changed (participants, status). */
  call: [call: Call];
  /** The connection quality to a participant, from WebRTC stats every 2 s. */
  quality: [userId: string, quality: Quality];
  /** The call ended (or this device left it). */
  ended: [call: Call];
}

export interface CallSessionOptions {
  calls: CallsApi;
  /** The call this device just started, accepted or rejoined. */
  call: Call;
  /** The camera and/or microphone to send. */
  localStream: MediaStream;
  /** From `calls.iceServers()`; fetched when not given. */
  iceServers?: RTCIceServer[];
  /** 'relay' forces TURN (tests, or privacy: the peer never learns this device's address). */
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** How often to tell the server this device is still in the call, ms (default 5 000). */
  keepAliveMs?: number;
}

interface Peer {
  userId: string;
  sessionId: string;
  pc: RTCPeerConnection;
  /** Candidates that came before the remote description. */
  early: RTCIceCandidateInit[];
}

/**
 * The media side of one call on this device (browser): one RTCPeerConnection per other
 * device in the call (a mesh of at most four people). The device that joins sends an offer to
 * every device already in the call; the others answer. Signals travel through
 * `client.calls` (the MyChat socket); media goes directly, or through TURN.
 */
export class CallSession extends Emitter<CallSessionEvents> {
  private readonly peers = new Map<string, Peer>();
  private call: Call;
  private localStream: MediaStream;
  private config: RTCConfiguration = {};
  private timers: ReturnType<typeof setInterval>[] = [];
  private readonly offs: (() => void)[] = [];
  private closed = false;

  constructor(private readonly o: CallSessionOptions) {
    super();
    this.call = o.call;
    this.localStream = o.localStream;
  }

  /** Connects to everyone in the call: offers to each device already in it. */
  async start(): Promise<void> {
    const ice = this.o.iceServers ?? (await this.o.calls.iceServers()).iceServers;
    this.config = {
      iceServers: ice,
      ...(this.o.iceTransportPolicy && { iceTransportPolicy: this.o.iceTransportPolicy }),
    };
    this.offs.push(
      this.o.calls.on('signal', (s) => void this.onSignal(s).catch(() => undefined)),
      this.o.calls.on('event', (e) => this.onEvent(e)),
    );
    const keepAlive = this.o.keepAliveMs ?? 5000;
    this.timers.push(
      setInterval(() => void this.o.calls.keepAlive(this.call.id).catch(() => undefined), keepAlive),
      setInterval(() => void this.measure(), 2000),
    );
    const me = this.o.calls.userId();
    for (const p of this.call.participants)
      if (p.userId !== me && p.state === 'joined' && p.sessionId) await this.offer(p.userId, p.sessionId);
  }

  get current(): Call {
    return this.call;
  }

  /** Mutes or unmutes the microphone (the track keeps running; the peers get silence). */
  setMuted(muted: boolean): void {
    for (const t of this.localStream.getAudioTracks()) t.enabled = !muted;
  }

  /** Turns the camera off (black frames) or on. */
  setCameraOn(on: boolean): void {
    for (const t of this.localStream.getVideoTracks()) t.enabled = on;
  }

  /**
   * Sends another track instead of the current one of its kind (another camera or microphone,
   * or a screen from getDisplayMedia) to every peer, without renegotiation. The old track is
   * stopped unless `keepOld` (a camera put aside while the screen is shared); it is returned.
   */
  async replaceTrack(
    track: MediaStreamTrack,
    opts: { keepOld?: boolean } = {},
  ): Promise<MediaStreamTrack | undefined> {
    const old = this.localStream.getTracks().find((t) => t.kind === track.kind);
    for (const p of this.peers.values())
      for (const s of p.pc.getSenders()) if (s.track?.kind === track.kind) await s.replaceTrack(track);
    if (old) {
      this.localStream.removeTrack(old);
      if (!opts.keepOld) old.stop();
    }
    this.localStream.addTrack(track);
    return old;
  }

  /** Hangs up on this device and closes every connection. */
  async hangUp(): Promise<void> {
    if (this.closed) return;
    await this.o.calls.hangUp(this.call.id).catch(() => undefined);
    this.close();
  }

  /** Closes the connections without telling the server (the call ended elsewhere). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    for (const off of this.offs) off();
    for (const p of this.peers.values()) p.pc.close();
    this.peers.clear();
    this.emit('ended', this.call);
  }

  private onEvent(e: CallEvent): void {
    if (e.call.id !== this.call.id || this.closed) return;
    this.call = e.call;
    this.emit('call', e.call);
    if (e.kind === 'ended') return this.close();
    if (e.kind === 'left' || e.kind === 'dropped') {
      const key = `${e.userId}/${e.sessionId}`;
      const p = this.peers.get(key);
      if (p) {
        p.pc.close();
        this.peers.delete(key);
        this.emit('remoteGone', e.userId);
      }
    }
  }

  private peer(userId: string, sessionId: string): Peer {
    const key = `${userId}/${sessionId}`;
    const had = this.peers.get(key);
    if (had) return had;
    // A participant back on another device: the old connection is gone.
    for (const [k, p] of this.peers)
      if (p.userId === userId) {
        p.pc.close();
        this.peers.delete(k);
      }
    const pc = new RTCPeerConnection(this.config);
    const peer: Peer = { userId, sessionId, pc, early: [] };
    for (const t of this.localStream.getTracks()) pc.addTrack(t, this.localStream);
    pc.onicecandidate = (ev) => {
      const data = ev.candidate ? JSON.stringify(ev.candidate.toJSON()) : '';
      void this.o.calls.signal(this.call.id, userId, sessionId, 'ice', data).catch(() => undefined);
    };
    pc.ontrack = (ev) => {
      const stream = ev.streams[0] ?? new MediaStream([ev.track]);
      this.emit('remoteStream', userId, stream);
    };
    this.peers.set(key, peer);
    return peer;
  }

  private async offer(userId: string, sessionId: string): Promise<void> {
    const p = this.peer(userId, sessionId);
    const offer = await p.pc.createOffer();
    await p.pc.setLocalDescription(offer);
    await this.o.calls.signal(this.call.id, userId, sessionId, 'offer', offer.sdp ?? '');
  }

  private async onSignal(s: CallSignal): Promise<void> {
    if (s.callId !== this.call.id || this.closed) return;
    if (s.kind === 'offer') {
      // Nothing here renegotiates: an offer on a connection already set up comes from a device
      // that started afresh (a reload, then rejoin): it gets a new connection.
      const was = this.peers.get(`${s.fromUserId}/${s.fromSessionId}`);
      if (was?.pc.remoteDescription) {
        was.pc.close();
        this.peers.delete(`${s.fromUserId}/${s.fromSessionId}`);
        this.emit('remoteGone', s.fromUserId);
      }
      const p = this.peer(s.fromUserId, s.fromSessionId);
      // Two devices that joined at once may offer to each other: the one with the smaller
      // session id gives way (rolls its offer back and answers), the other ignores theirs.
      if (p.pc.signalingState !== 'stable') {
        if ((this.o.calls.sessionId() ?? '') > s.fromSessionId) return;
        await p.pc.setLocalDescription({ type: 'rollback' });
      }
      await p.pc.setRemoteDescription({ type: 'offer', sdp: s.data });
      await this.flush(p);
      const answer = await p.pc.createAnswer();
      await p.pc.setLocalDescription(answer);
      await this.o.calls.signal(this.call.id, s.fromUserId, s.fromSessionId, 'answer', answer.sdp ?? '');
      return;
    }
    const p = this.peers.get(`${s.fromUserId}/${s.fromSessionId}`);
    if (!p) return;
    if (s.kind === 'answer') {
      await p.pc.setRemoteDescription({ type: 'answer', sdp: s.data });
      await this.flush(p);
    } else if (s.data) {
      const c = JSON.parse(s.data) as RTCIceCandidateInit;
      if (p.pc.remoteDescription) await p.pc.addIceCandidate(c);
      else p.early.push(c);
    }
  }

  private async flush(p: Peer): Promise<void> {
    for (const c of p.early.splice(0)) await p.pc.addIceCandidate(c).catch(() => undefined);
  }

  /** Quality from the selected candidate pair's round trip and the inbound loss. */
  private async measure(): Promise<void> {
    for (const p of this.peers.values()) {
      let rtt = 0;
      let lost = 0;
      let received = 0;
      const stats = await p.pc.getStats().catch(() => undefined);
      stats?.forEach((r: Record<string, unknown>) => {
        if (r.type === 'candidate-pair' && r.nominated && typeof r.currentRoundTripTime === 'number')
          rtt = r.currentRoundTripTime;
        if (r.type === 'inbound-rtp') {
          lost += Number(r.packetsLost ?? 0);
          received += Number(r.packetsReceived ?? 0);
        }
      });
      this.emit('quality', p.userId, qualityOf(rtt, received + lost ? lost / (received + lost) : 0));
    }
  }
}
