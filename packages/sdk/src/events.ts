type AnyHandler = (...args: unknown[]) => void;

/** A tiny typed event emitter that works the same in browsers and Node. */
export class Emitter<Events extends Record<string, unknown[]>> {
  private readonly handlers = new Map<keyof Events, Set<AnyHandler>>();

  /** Subscribes; returns a function that unsubscribes. */
  on<K extends keyof Events>(event: K, handler: (...args: Events[K]) => void): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler as unknown as AnyHandler);
    return () => this.off(event, handler);
  }

  off<K extends keyof Events>(event: K, handler: (...args: Events[K]) => void): void {
    this.handlers.get(event)?.delete(handler as unknown as AnyHandler);
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    for (const h of [...(this.handlers.get(event) ?? [])]) {
      try {
        h(...args);
      } catch (err) {
        // A listener's bug must not break the SDK's own loop; surface it asynchronously.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
