/**
 * Batches "delivered up to seq" acknowledgements per conversation: many messages arriving
 * together cost one MarkDelivered per conversation per window. Cursors are monotonic on the
 * server, so only the highest seq matters and a lost ack is repaired by the next one.
 */
export class DeliveryAcker {
  private readonly pending = new Map<string, number>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ack: (conversationId: string, seq: number) => Promise<void>,
    private readonly windowMs = 100,
  ) {}

  /** Notes that the user's device has `seq` of the conversation. */
  note(conversationId: string, seq: number): void {
    if (seq <= (this.pending.get(conversationId) ?? 0)) return;
    this.pending.set(conversationId, seq);
    this.timer ??= setTimeout(() => this.flush(), this.windowMs);
  }

  /** Sends what is pending now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending];
    this.pending.clear();
    for (const [conversationId, seq] of batch) void this.ack(conversationId, seq).catch(() => undefined);
  }

  /** Drops what is pending (the client stopped). */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }
}
