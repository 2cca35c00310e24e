import type { WebSocketConstructor } from '@mychat/sdk';
import { WebSocket } from 'ws';

/**
 * A WebSocket class for SDK clients that delays every frame: `upMs` before a frame leaves,
 * `downMs` before one that arrived is handed over (an asymmetric link, in order). `cut()`
 * drops every open socket of the class as a lost network would.
 */
export function laggyWebSocket(upMs: number, downMs: number): WebSocketConstructor & { cut(): void } {
  const open = new Set<WebSocket>();
  class Laggy {
    onopen: (() => void) | null = null;
    onmessage: ((ev: { data: unknown }) => void) | null = null;
    onclose: ((ev: { code: number; reason: string }) => void) | null = null;
    onerror: ((ev: unknown) => void) | null = null;
    private readonly inner: WebSocket;

    constructor(url: string) {
      const ws = (this.inner = new WebSocket(url));
      open.add(ws);
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => setTimeout(() => this.onopen?.(), downMs);
      ws.onmessage = (ev) => setTimeout(() => this.onmessage?.({ data: ev.data }), downMs);
      ws.onclose = (ev) => {
        open.delete(ws);
        setTimeout(() => this.onclose?.({ code: ev.code, reason: ev.reason }), downMs);
      };
      ws.onerror = (ev) => this.onerror?.(ev);
    }

    get binaryType(): string {
      return this.inner.binaryType;
    }
    set binaryType(v: string) {
      this.inner.binaryType = v as 'arraybuffer';
    }
    get readyState(): number {
      return this.inner.readyState;
    }
    send(data: Uint8Array): void {
      const copy = new Uint8Array(data);
      setTimeout(() => {
        if (this.inner.readyState === WebSocket.OPEN) this.inner.send(copy);
      }, upMs);
    }
    close(code?: number, reason?: string): void {
      this.inner.close(code, reason);
    }
  }
  return Object.assign(Laggy, {
    cut() {
      for (const ws of open) ws.terminate();
    },
  });
}
