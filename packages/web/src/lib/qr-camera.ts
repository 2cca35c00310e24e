/**
 * Reads QR codes from the camera: the browser's BarcodeDetector where it has one for QR codes
 * (Android, macOS, ChromeOS), else jsQR on frames drawn to a canvas (desktop Linux and Windows
 * Chromium, Firefox). jsQR is loaded only when a camera is opened without a detector.
 */

/** Largest frame side handed to the decoder: camera frames are scaled down to it. */
const MAX_SIDE = 640;
/** How often a frame is decoded, ms (one at a time: a slow decode skips the next tick). */
const EVERY_MS = 200;

interface Detector {
  detect(source: HTMLVideoElement): Promise<{ rawValue: string }[]>;
}
interface DetectorClass {
  new (o: { formats: string[] }): Detector;
  getSupportedFormats?(): Promise<string[]>;
}

/** One frame's decoder: the text of a QR code it shows, or undefined. */
type Decode = (video: HTMLVideoElement) => Promise<string | undefined>;

/** Why a camera could not be opened: none here, or the person (or browser) refused it. */
export class CameraError extends Error {
  constructor(readonly kind: 'unsupported' | 'denied') {
    super(`camera ${kind}`);
  }
}

export interface QrCamera {
  stop(): void;
}

async function nativeDecoder(): Promise<Decode | undefined> {
  const Ctor = (globalThis as { BarcodeDetector?: DetectorClass }).BarcodeDetector;
  if (!Ctor) return undefined;
  const formats = (await Ctor.getSupportedFormats?.().catch(() => [])) ?? ['qr_code'];
  if (!formats.includes('qr_code')) return undefined;
  const detector = new Ctor({ formats: ['qr_code'] });
  return async (video) => (await detector.detect(video))[0]?.rawValue;
}

async function canvasDecoder(): Promise<Decode> {
  const { default: jsQR } = await import('jsqr');
  const canvas = document.createElement('canvas');
  const g = canvas.getContext('2d', { willReadFrequently: true })!;
  return (video) => {
    const w = video.videoWidth;
    const h = video.videoHeight;
    if (!w || !h) return Promise.resolve(undefined);
    const scale = Math.min(1, MAX_SIDE / Math.max(w, h));
    canvas.width = Math.round(w * scale);
    canvas.height = Math.round(h * scale);
    g.drawImage(video, 0, 0, canvas.width, canvas.height);
    const frame = g.getImageData(0, 0, canvas.width, canvas.height);
    // Both ways: a code shown on a dark-mode screen is light on dark.
    const code = jsQR(frame.data, frame.width, frame.height, { inversionAttempts: 'attemptBoth' });
    return Promise.resolve(code?.data || undefined);
  };
}

/**
 * Opens the back camera into `video` and calls `onCode` with the text of every QR code seen
 * (the caller stops when it has what it wants). Rejects with a {@link CameraError} when no
 * camera can be opened.
 */
export async function startQrCamera(
  video: HTMLVideoElement,
  onCode: (text: string) => void,
): Promise<QrCamera> {
  if (!navigator.mediaDevices?.getUserMedia) throw new CameraError('unsupported');
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
  } catch (e) {
    const name = (e as { name?: string }).name;
    throw new CameraError(
      name === 'NotFoundError' || name === 'OverconstrainedError' ? 'unsupported' : 'denied',
    );
  }
  let stopped = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  const camera: QrCamera = {
    stop() {
      stopped = true;
      clearInterval(timer);
      stream.getTracks().forEach((tr) => tr.stop());
      video.srcObject = null;
    },
  };
  try {
    video.srcObject = stream;
    await video.play();
    const decode = (await nativeDecoder()) ?? (await canvasDecoder());
    let busy = false;
    if (!stopped)
      timer = setInterval(() => {
        if (busy || stopped) return;
        busy = true;
        decode(video)
          .then(
            (text) => !stopped && text && onCode(text),
            () => undefined,
          )
          .finally(() => (busy = false));
      }, EVERY_MS);
  } catch (e) {
    camera.stop();
    throw e;
  }
  return camera;
}
